import { createHash } from 'node:crypto';
import { tokenizer } from 'acorn';

/** Words that change nothing about what an intent asks for. */
const FILLER_WORDS = new Set(['a', 'an', 'the', 'please', 'any', 'all']);

/**
 * The lookup key of an intent: Unicode-normalised, lower case, quotes and sentence punctuation dropped,
 * filler words removed, whitespace collapsed. Two intents with the same key are answered by the same
 * stored policy, so this only removes what cannot change the meaning ("Deny pods labelled 'env=prod'."
 * and "deny pods labelled env=prod" agree; names, numbers, `=`, `/`, `.` inside words are kept).
 */
export function normaliseIntent(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[‘’“”"'`]/g, ' ')
    .replace(/[.,;:!?]+(?=\s|$)/g, ' ')
    .replace(/[()[\]{}]/g, ' ')
    .split(/\s+/)
    .filter((w) => w !== '' && !FILLER_WORDS.has(w))
    .join(' ');
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
    return code.replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g, ' ').replace(/\s+/g, ' ').trim();
  }
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Identity of a skill's behaviour: its normalised code. */
export function codeHash(code: string): string {
  return sha256(normaliseCode(code));
}
