import MiniSearch from 'minisearch';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { Skill } from '../common/index.js';
import { sha256 } from './normalise.js';

/** Words too common in intents to say anything about which skill fits. */
const STOP_WORDS = new Set([
  'a', 'an', 'the', 'and', 'or', 'of', 'in', 'on', 'to', 'for', 'with', 'by', 'is', 'are', 'be', 'that', 'this',
  'it', 'its', 'from', 'as', 'at', 'not', 'no', 'any', 'all', 'every', 'must', 'should', 'only', 'when', 'which',
]);

/** Splits `hostHasSuffix` into host, has, suffix and text into lower-case words. */
export function tokenize(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 1 && !STOP_WORDS.has(w));
}

/** Plural and verb endings folded so "containers"/"container" and "privileged"/"privilege" meet. */
function stem(word: string): string {
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 4 && word.endsWith('ed')) return word.slice(0, -2).replace(/e$/, '');
  if (word.length > 3 && word.endsWith('es') && /(ss|x|ch|sh)es$/.test(word)) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word.replace(/e$/, '');
}

/** What retrieval embeds and hashes for a skill: its name in words and its one-line description. */
export function embeddingText(skill: Pick<Skill, 'name' | 'description'>): string {
  return `${tokenize(skill.name).join(' ')}: ${skill.description}`;
}

export function embeddingHash(skill: Pick<Skill, 'name' | 'description'>): string {
  return sha256(embeddingText(skill));
}

export interface ScoredSkill {
  skill: Skill;
  score: number;
  lexical: number;
  semantic?: number;
}

/**
 * A search index over one snapshot of the eligible skills: MiniSearch (BM25+, prefix and fuzzy matching)
 * over the name's words and the description, plus, when vectors are given, cosine similarity between the
 * query's embedding and each description's. Scores are combined after scaling the lexical one to 0..1.
 */
export class SkillIndex {
  private readonly lexical: MiniSearch<{ id: string; words: string; description: string }>;
  private readonly byId: Map<string, Skill>;

  constructor(readonly skills: readonly Skill[], private readonly vectors?: ReadonlyMap<string, number[]>) {
    this.byId = new Map(skills.map((s) => [s.id, s]));
    this.lexical = new MiniSearch({
      fields: ['words', 'description'],
      idField: 'id',
      tokenize,
      processTerm: (term) => stem(term.toLowerCase()),
      searchOptions: { boost: { words: 2 }, prefix: (term) => term.length > 3, fuzzy: (term) => (term.length > 5 ? 0.2 : false), combineWith: 'OR' },
    });
    this.lexical.addAll(skills.map((s) => ({ id: s.id, words: tokenize(s.name).join(' '), description: s.description })));
  }

  /**
   * @param queryVector the query's embedding, when an embedding model is configured
   * @param lexicalWeight share of the lexical score in the hybrid score (the rest is semantic)
   */
  search(query: string, k: number, queryVector?: number[], lexicalWeight = 0.5): ScoredSkill[] {
    const hits = this.lexical.search(query);
    const maxLexical = hits[0]?.score ?? 0;
    const lexicalById = new Map(hits.map((h) => [String(h.id), maxLexical > 0 ? h.score / maxLexical : 0]));
    const useVectors = queryVector && this.vectors && this.vectors.size > 0;
    const scored: ScoredSkill[] = [];
    if (useVectors) {
      const qn = norm(queryVector);
      for (const skill of this.skills) {
        const v = this.vectors!.get(skill.id);
        const semantic = v ? Math.max(0, cosine(queryVector, v, qn)) : 0;
        const lexical = lexicalById.get(skill.id) ?? 0;
        const score = lexicalWeight * lexical + (1 - lexicalWeight) * semantic;
        if (score > 0) scored.push({ skill, score, lexical, semantic });
      }
    } else {
      for (const [id, lexical] of lexicalById) {
        const skill = this.byId.get(id);
        if (skill && lexical > 0) scored.push({ skill, score: lexical, lexical });
      }
    }
    // Approved skills before candidates, then by score; names break ties so results are stable.
    scored.sort((a, b) => rank(a.skill) - rank(b.skill) || b.score - a.score || (a.skill.name < b.skill.name ? -1 : 1));
    return scored.slice(0, k);
  }
}

function rank(skill: Skill): number {
  return skill.state === 'approved' ? 0 : 1;
}

function norm(v: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s) || 1;
}

function cosine(a: readonly number[], b: readonly number[], an: number): number {
  let dot = 0;
  let bb = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    dot += a[i] * b[i];
    bb += b[i] * b[i];
  }
  return dot / (an * (Math.sqrt(bb) || 1));
}

/** The embedding client, its cache namespace and batch size. */
export interface EmbeddingSource {
  embeddings: EmbeddingsInterface;
  model: string;
}
