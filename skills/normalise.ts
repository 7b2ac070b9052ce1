import { createHash } from 'node:crypto';
import { tokenizer } from 'acorn';

/** Words that change nothing about what an intent asks for (articles and courtesy; never quantifiers). */
const FILLER_WORDS = new Set(['a', 'an', 'the', 'please']);

/** A quoted span: straight or typographic single/double quotes, or backticks, closed by the same kind (an apostrophe inside a word opens nothing). */
const QUOTED = /(?<![\p{L}\p{N}])'([^']*)'(?![\p{L}\p{N}])|"([^"]*)"|‘([^’]*)’|“([^”]*)”|`([^`]*)`/gu;

/**
 * The lookup key of an intent. Two intents with the same key are answered by the same stored policy, so the
 * key removes only what cannot change the meaning: Unicode form, runs of whitespace, sentence punctuation,
 * brackets, articles, quote marks, and the capital letter that starts a sentence. Values stay exact: case is
 * never folded elsewhere ("env=PROD" is not "env=prod"), and a quoted span is kept verbatim, punctuation and
 * inner spaces included ("'prod.'" is not "prod"). "Deny pods labelled 'env=prod'." and "deny pods labelled
 * env=prod" agree.
 */
export function normaliseIntent(text: string): string {
  const words: string[] = [];
  let sentenceStart = true;
  const plain = (span: string): void => {
    const cleaned = span.replace(/[()[\]{}]/g, ' ');
    for (const raw of cleaned.split(/\s+/)) {
      if (raw === '') continue;
      const ends = /[.!?]+$/.test(raw);
      let word = raw.replace(/[.,;:!?]+$/, '');
      if (sentenceStart && /^[A-Z][a-z'’-]*$/.test(word)) word = word.toLowerCase();
      sentenceStart = ends;
      if (word !== '' && !FILLER_WORDS.has(word)) words.push(word);
    }
  };
  const normalised = text.normalize('NFKC');
  let at = 0;
  for (const m of normalised.matchAll(QUOTED)) {
    plain(normalised.slice(at, m.index));
    const quoted = m.slice(1).find((g) => g !== undefined) ?? '';
    if (quoted !== '') words.push(quoted);
    sentenceStart = false;
    at = m.index + m[0].length;
  }
  plain(normalised.slice(at));
  return words.join(' ');
}

/**
 * Code with comments and formatting removed (acorn's tokens joined by one space), so reformatting or
 * re-commenting a function does not make it a new skill. Falls back to whitespace collapsing when the
 * text does not tokenize.
 */
export function normaliseCode(code: string): string {
  try {
    const parts: string[] = [];
    for (const token of tokenizer(code, { ecmaVersion: 'latest', allowReturnOutsideFunction: true })) {
      parts.push(code.slice(token.start, token.end));
    }
    return parts.join(' ');
  } catch {
    return code
      .replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
  }
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Identity of a skill's behaviour: its normalised code. */
export function codeHash(code: string): string {
  return sha256(normaliseCode(code));
}
