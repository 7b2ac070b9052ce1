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
  /** In how many skills each (stemmed) term occurs. */
  private readonly documentFrequency = new Map<string, number>();
  /** Unit-length vectors, one row per skill (same order as `skills`), in one block for fast scans. */
  private readonly matrix?: Float32Array;
  private readonly hasVector?: Uint8Array;
  private readonly dims: number = 0;

  constructor(readonly skills: readonly Skill[], vectors?: ReadonlyMap<string, number[]>) {
    this.byId = new Map(skills.map((s) => [s.id, s]));
    this.lexical = new MiniSearch({
      fields: ['words', 'description'],
      idField: 'id',
      tokenize,
      processTerm: (term) => stem(term.toLowerCase()),
      searchOptions: { boost: { words: 2 }, prefix: (term) => term.length > 3, combineWith: 'OR' },
    });
    const docs = skills.map((s) => ({ id: s.id, words: tokenize(s.name).join(' '), description: s.description }));
    this.lexical.addAll(docs);
    for (const d of docs) {
      for (const term of new Set([...tokenize(d.words), ...tokenize(d.description)].map(stem))) {
        this.documentFrequency.set(term, (this.documentFrequency.get(term) ?? 0) + 1);
      }
    }
    const first = vectors && [...vectors.values()][0];
    if (vectors && first) {
      this.dims = first.length;
      this.matrix = new Float32Array(skills.length * this.dims);
      this.hasVector = new Uint8Array(skills.length);
      skills.forEach((s, row) => {
        const v = vectors.get(s.id);
        if (!v || v.length !== this.dims) return;
        const n = norm(v);
        for (let i = 0; i < this.dims; i++) this.matrix![row * this.dims + i] = v[i] / n;
        this.hasVector![row] = 1;
      });
    }
  }

  /**
   * The query's terms minus those so common they cannot tell skills apart (in more than 10 % of them),
   * unless nothing else is left: BM25 would give them almost no weight anyway, and leaving them out keeps
   * the number of documents to score (the cost of a search) small.
   */
  private selective(query: string): string {
    const limit = Math.max(20, this.skills.length * 0.1);
    const df = (t: string): number => this.documentFrequency.get(stem(t)) ?? 0;
    // Words no skill contains cannot match (prefixes aside, which only longer common words reach).
    const present = tokenize(query).filter((t) => df(t) > 0 || t.length > 3);
    const kept = present.filter((t) => df(t) <= limit && (df(t) > 0 || t.length > 3));
    if (kept.some((t) => df(t) > 0)) return kept.join(' ');
    // Every word that matches is common: keep the two rarest of those.
    const common = present.filter((t) => df(t) > 0).sort((a, b) => df(a) - df(b));
    return [...kept, ...common.slice(0, 2)].join(' ');
  }

  search(query: string, k: number, queryVector?: number[], lexicalWeight = 0.5): ScoredSkill[] {
    const hits = this.lexical.search(this.selective(query));
    const maxLexical = hits[0]?.score ?? 0;
    const lexicalById = new Map(hits.map((h) => [String(h.id), maxLexical > 0 ? h.score / maxLexical : 0]));
    const top = new TopK(k);
    if (queryVector && this.matrix && this.hasVector && queryVector.length === this.dims) {
      const qn = norm(queryVector);
      const q = Float32Array.from(queryVector, (x) => x / qn);
      const dims = this.dims;
      const m = this.matrix;
      for (let row = 0; row < this.skills.length; row++) {
        let semantic = 0;
        if (this.hasVector[row]) {
          const base = row * dims;
          let d0 = 0;
          let d1 = 0;
          let d2 = 0;
          let d3 = 0;
          let i = 0;
          for (; i + 3 < dims; i += 4) {
            d0 += q[i] * m[base + i];
            d1 += q[i + 1] * m[base + i + 1];
            d2 += q[i + 2] * m[base + i + 2];
            d3 += q[i + 3] * m[base + i + 3];
          }
          for (; i < dims; i++) d0 += q[i] * m[base + i];
          const dot = d0 + d1 + d2 + d3;
          semantic = dot > 0 ? dot : 0;
        }
        const skill = this.skills[row];
        const lexical = lexicalById.get(skill.id) ?? 0;
        const score = lexicalWeight * lexical + (1 - lexicalWeight) * semantic;
        if (score > 0) top.offer({ skill, score, lexical, semantic });
      }
    } else {
      for (const [id, lexical] of lexicalById) {
        const skill = this.byId.get(id);
        if (skill && lexical > 0) top.offer({ skill, score: lexical, lexical });
      }
    }
    return top.sorted();
  }
}

/** Approved skills before candidates, then by score; names break ties so results are stable. */
function better(a: ScoredSkill, b: ScoredSkill): boolean {
  const ra = rank(a.skill);
  const rb = rank(b.skill);
  if (ra !== rb) return ra < rb;
  if (a.score !== b.score) return a.score > b.score;
  return a.skill.name < b.skill.name;
}

/** The k best offers, kept sorted (k is small: a linear insertion beats sorting every scored skill). */
class TopK {
  private readonly items: ScoredSkill[] = [];
  constructor(private readonly k: number) {}
  offer(item: ScoredSkill): void {
    if (this.k <= 0) return;
    const items = this.items;
    if (items.length === this.k && !better(item, items[items.length - 1])) return;
    let i = items.length;
    while (i > 0 && better(item, items[i - 1])) i--;
    items.splice(i, 0, item);
    if (items.length > this.k) items.pop();
  }
  sorted(): ScoredSkill[] {
    return this.items;
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


/** The embedding client, its cache namespace and batch size. */
export interface EmbeddingSource {
  embeddings: EmbeddingsInterface;
  model: string;
}
