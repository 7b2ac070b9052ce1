import * as zlib from 'node:zlib';
import SearchableMap from 'minisearch/SearchableMap';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { isPolicyforgeError, pfError, type PolicyforgeError, type ReviewState, type Skill } from '../common/index.js';
import { sha256 } from './normalise.js';
import { REVIEW_STATES } from './types.js';

/** Words too common in intents to say anything about which skill fits. */
const STOP_WORDS = new Set([
  'a',
  'an',
  'the',
  'and',
  'or',
  'of',
  'in',
  'on',
  'to',
  'for',
  'with',
  'by',
  'is',
  'are',
  'be',
  'that',
  'this',
  'it',
  'its',
  'from',
  'as',
  'at',
  'not',
  'no',
  'any',
  'all',
  'every',
  'must',
  'should',
  'only',
  'when',
  'which',
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

/**
 * Plural and verb endings folded so "containers"/"container", "namespaces"/"namespace" and
 * "privileged"/"privilege" meet: a final e goes too once the s is gone, as it does for the singular.
 */
export function stem(word: string): string {
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 4 && word.endsWith('ed')) return word.slice(0, -2).replace(/e$/, '');
  if (word.length > 3 && word.endsWith('es') && /(ss|x|ch|sh)es$/.test(word)) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1).replace(/e$/, '');
  return word.replace(/e$/, '');
}

/** What retrieval embeds and hashes for a skill: its name in words and its one-line description. */
export function embeddingText(skill: Pick<Skill, 'name' | 'description'>): string {
  return `${tokenize(skill.name).join(' ')}: ${skill.description}`;
}

export function embeddingHash(skill: Pick<Skill, 'name' | 'description'>): string {
  return sha256(embeddingText(skill));
}

/**
 * What ranking needs of a skill: its id, name (ties) and review state (approved first). An index restored
 * from a snapshot holds only these; the library reads the whole skill for the k it returns.
 */
export type IndexedSkill = Pick<Skill, 'id' | 'name' | 'state'> & { description?: string };

export interface ScoredSkill<S extends IndexedSkill = Skill> {
  skill: S;
  score: number;
  lexical: number;
  semantic?: number;
}

/** What the vector part of the last search did (the bench reports it; the ranking is the same either way). */
export interface VectorScanStats {
  /** 'int8': a quantised scan chose which rows to score exactly; 'exact': every row was scored exactly. */
  path: 'int8' | 'exact';
  rows: number;
  /** Rows whose exact score was computed. */
  rescored: number;
}

/** Version of the snapshot layout: a snapshot of another version is rebuilt, never read. */
export const INDEX_SNAPSHOT_FORMAT = 1;

/**
 * CRC-32 of a snapshot's parts: zlib's (Node 20.15+ and 22.2+), else the same polynomial in JavaScript.
 * Looked up on the namespace, not imported by name: package.json allows any Node 20, and a named import of
 * an export that Node lacks fails the whole module at load, lexical search included.
 */
const crc32: (data: Uint8Array, value?: number) => number =
  (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32 ?? crc32InJavaScript;

let crcTable: Uint32Array | undefined;
/** `value`: the CRC-32 of the bytes before these (so a part in pieces is checked piece by piece, as zlib's). */
function crc32InJavaScript(data: Uint8Array, value = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = (value ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

let fingerprint: string | undefined;
/**
 * What a snapshot's contents depend on besides the skills: this layout, the tokeniser, stemmer, stop words,
 * BM25+ parameters and boosts, the postings build and the quantisation (their source text). A snapshot
 * written by a version that computed any of them differently is rebuilt, not restored with terms and
 * scores this version would not compute, even if that change forgot to move INDEX_SNAPSHOT_FORMAT.
 * Computed on first use: the classes it reads are declared further down.
 */
function codeFingerprint(): string {
  fingerprint ??= sha256(
    JSON.stringify([
      INDEX_SNAPSHOT_FORMAT,
      REVIEW_STATES, // states are stored as their index in it
      [...STOP_WORDS],
      BM25,
      FIELD_BOOST,
      PREFIX_WEIGHT,
      ...[tokenize, stem, embeddingText, norm, rank, LexicalIndex.build, QuantisedRows.build].map(String),
    ]),
  ).slice(0, 16);
  return fingerprint;
}

/**
 * A built SkillIndex as bytes (see SkillIndex.snapshot): a JSON header (format, stamp, rows, dims, and the
 * length and CRC-32 of every part) and the named parts.
 */
export interface IndexSnapshot {
  header: string;
  /**
   * Each part's bytes, in one or more consecutive pieces: a store may hand a large part back in the chunks
   * it keeps it in, and they are not joined (the int8 rows, 154 MB at 100k × 1536, are copied once, from
   * the chunks straight into the kernel's memory: each fresh copy of them cost ~0.5 s on a loaded machine).
   */
  parts: Map<string, readonly Uint8Array[]>;
}

/**
 * The header's fields. Stored as `{ body, crc }`, body being these fields as JSON and crc its CRC-32: the
 * header is checked like the parts (a damaged `dims` would otherwise turn hybrid ranking lexical unnoticed).
 */
interface SnapshotHeader {
  format: number;
  /** codeFingerprint() of the code that wrote it. */
  code: string;
  stamp: Record<string, unknown>;
  rows: number;
  dims: number;
  parts: Record<string, { bytes: number; crc: number }>;
}

/** The parts every snapshot has, and those only a snapshot with vectors (dims > 0) has. */
const LEXICAL_PARTS = ['order', 'rank', 'offset', 'postRows', 'postParts', 'holding'] as const;
const VECTOR_PARTS = ['int8', 'step', 'error', 'length'] as const;
function expectedParts(dims: number): string[] {
  return [
    'ids',
    'names',
    'states',
    'terms',
    ...LEXICAL_PARTS.map((p) => `lexical.${p}`),
    ...(dims > 0 ? ['hashes', 'vectors.has', ...VECTOR_PARTS.map((p) => `vectors.${p}`)] : []),
  ].sort();
}

/** What SkillIndex.restore hands its constructor instead of building. */
interface RestoredParts {
  lexical: LexicalIndex;
  vectors?: {
    dims: number;
    hasVector: Uint8Array;
    quantised: QuantisedRows;
    rowVector: (row: number) => ArrayLike<number> | undefined;
  };
}

/** Unit rows a restored index keeps after reading them (~6 KB each at 1536 dims: 100 MB at most). */
const ROW_CACHE = 16_384;

/** A typed array's bytes (a view, no copy). */
function bytesOf(array: ArrayBufferView): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

/** Stored bytes as a typed array: a view when aligned, else a copy. */
function typed<T>(
  bytes: Uint8Array,
  Type: { new (buffer: ArrayBufferLike, offset: number, length: number): T; BYTES_PER_ELEMENT: number },
): T {
  const size = Type.BYTES_PER_ELEMENT;
  if (bytes.byteLength % size) throw snapshotError('a part is not whole elements');
  const aligned = bytes.byteOffset % size === 0 ? bytes : new Uint8Array(bytes);
  return new Type(aligned.buffer, aligned.byteOffset, aligned.byteLength / size);
}

/**
 * Above this k the int8 pre-selection is skipped: it keeps the k-th best lower bound in a sorted buffer
 * (linear insertion), and with a k that large most rows would be rescored anyway.
 */
const MAX_FAST_K = 256;

/**
 * A search index over one snapshot of the eligible skills: BM25+ with prefix matching, scored as MiniSearch
 * scores it (LexicalIndex), over the name's words and the description, plus, when vectors are given, cosine similarity between the
 * query's embedding and each description's. Scores are combined after scaling the lexical one to 0..1.
 *
 * The vector part must stay under 10 ms over 10,000 skills with 1536-dim vectors (issue 5). A flat scan
 * of the float rows in plain JavaScript cannot: it is ~15 M multiply-adds, ~23 ms here whether the rows
 * are Float32 or Float64 (Float64 saves the float32→float64 conversions but doubles the memory read, 123 MB
 * per 10k skills; measured ~18 ms), and an int8 scan in scalar JavaScript is no faster (~17-21 ms). So
 * a search runs in two stages, the first in WebAssembly SIMD (see QuantisedRows), and returns exactly
 * what the flat float scan (`searchExact`) returns:
 *  1. int8 copies of the unit rows are scanned 16 lanes at a time (~2 ms for 10k × 1536); each gives an
 *     approximate cosine and a proven bound on its error, so each row's score lies in [lo, hi];
 *  2. only rows whose hi reaches the k-th best lo (per approved/candidate class) can be in the top k:
 *     those, usually a few dozen, are scored exactly from the float rows with the same arithmetic as
 *     the flat scan, and ranked as before.
 */
export class SkillIndex<S extends IndexedSkill = Skill> {
  private readonly lexical: LexicalIndex;
  /** Per row, the first key of the ranking (0 approved, 1 candidate), so the scan reads no Skill objects. */
  private readonly rankOf: Uint8Array;
  /** Unit-length vectors, one row per skill (same order as `skills`), in one block for fast scans. */
  private readonly matrix?: Float32Array;
  /**
   * Instead of `matrix` in an index restored from a snapshot: a row's stored vector, read when the exact
   * stage needs it (a few dozen rows a query) and normalised as `matrix` was; kept in `rowCache`.
   */
  private readonly rowVector?: (row: number) => ArrayLike<number> | undefined;
  private readonly rowCache = new Map<number, Float32Array>();
  private readonly hasVector?: Uint8Array;
  private readonly dims: number = 0;
  /** int8 copies of `matrix` for the first stage; absent without WebAssembly (then every row is scored exactly). */
  private readonly quantised?: QuantisedRows;
  /** What the vector part of the last search did. */
  lastScan?: VectorScanStats;
  /**
   * Per-row buffers reused by every search (a search is synchronous, so one set serves them all): at
   * 100,000 skills, allocating them per query cost more than the scoring. `rest` is non-zero only on the
   * rows the last query's terms reached, and is cleared there before the next one.
   */
  private readonly rest: Float64Array;
  private scan?: { approx: Float64Array; bound: Float64Array; lo: Float64Array; hi: Float64Array };

  constructor(
    readonly skills: readonly S[],
    vectors?: ReadonlyMap<string, ArrayLike<number>>,
    restored?: RestoredParts,
  ) {
    this.rankOf = Uint8Array.from(skills, (s) => rank(s));
    this.rest = new Float64Array(skills.length);
    if (restored) {
      this.lexical = restored.lexical;
      if (restored.vectors) {
        ({ dims: this.dims, hasVector: this.hasVector, quantised: this.quantised } = restored.vectors);
        this.rowVector = restored.vectors.rowVector;
      }
      return;
    }
    const docs = skills.map((s) => [tokenize(tokenize(s.name).join(' ')), tokenize(s.description ?? '')]);
    this.lexical = LexicalIndex.build(docs);
    const first = vectors?.values().next().value;
    if (vectors && first) {
      const dims = (this.dims = first.length);
      const matrix = (this.matrix = new Float32Array(skills.length * dims));
      const hasVector = (this.hasVector = new Uint8Array(skills.length));
      // Locals, not fields, in the loop: at 100,000 × 1536 this pass is 154 M divisions.
      for (let row = 0; row < skills.length; row++) {
        const v = vectors.get(skills[row].id);
        if (!v || v.length !== dims) continue;
        const n = norm(v);
        const base = row * dims;
        for (let i = 0; i < dims; i++) matrix[base + i] = v[i] / n;
        hasVector[row] = 1;
      }
      this.quantised = QuantisedRows.build(matrix, skills.length, dims);
    }
  }

  /**
   * The index as bytes, to be stored and restored after a restart instead of rebuilt: the rows' ids, names,
   * states and embedding hashes (`hashOf`, SHA-256 hex), the lexical postings, and with vectors the int8
   * rows and their bounds (the float rows are not kept: a restored index reads the few rows its exact stage
   * needs from the store's vectors by hash). Ids, names and terms are stored one a line and hashes as bytes,
   * not as JSON: at 100k skills parsing 12 MB of JSON rows cost a few hundred ms of a restart. `stamp` says
   * what the index was built from; restore() requires the same. Undefined for an index that cannot be
   * restored exactly (vectors without the int8 kernel, a row with a vector but no hash, an id or name with
   * a line break, or an index that was itself restored).
   */
  snapshot(stamp: Record<string, unknown>, hashOf?: (skill: S) => string | undefined): IndexSnapshot | undefined {
    if (this.dims > 0 && (!this.quantised || !this.matrix || !this.hasVector || !hashOf)) return undefined;
    const parts = new Map<string, Uint8Array>();
    const lines = (list: readonly string[]): Uint8Array | undefined =>
      list.some((line) => line.includes('\n')) ? undefined : Buffer.from(list.join('\n'));
    const ids = lines(this.skills.map((s) => s.id));
    const names = lines(this.skills.map((s) => s.name));
    const states = Uint8Array.from(this.skills, (s) => REVIEW_STATES.indexOf(s.state));
    if (!ids || !names || states.includes(255)) return undefined;
    parts.set('ids', ids);
    parts.set('names', names);
    parts.set('states', states);
    if (this.dims > 0 && this.hasVector && hashOf) {
      const hashes = Buffer.alloc(this.skills.length * 32);
      for (let row = 0; row < this.skills.length; row++) {
        if (!this.hasVector[row]) continue;
        const hash = hashOf(this.skills[row]);
        if (!hash || !/^[0-9a-f]{64}$/.test(hash)) return undefined;
        hashes.write(hash, row * 32, 'hex');
      }
      parts.set('hashes', hashes);
    }
    const lexical = this.lexical.snapshotParts();
    const terms = lines(lexical.terms);
    if (!terms) return undefined;
    parts.set('terms', terms);
    for (const name of LEXICAL_PARTS) parts.set(`lexical.${name}`, bytesOf(lexical[name]));
    if (this.dims > 0 && this.quantised && this.hasVector) {
      const q = this.quantised.parts();
      parts.set('vectors.has', bytesOf(this.hasVector));
      for (const name of VECTOR_PARTS) parts.set(`vectors.${name}`, bytesOf(q[name]));
    }
    const header: SnapshotHeader = {
      format: INDEX_SNAPSHOT_FORMAT,
      code: codeFingerprint(),
      stamp,
      rows: this.skills.length,
      dims: this.dims,
      parts: {},
    };
    for (const [name, bytes] of parts) header.parts[name] = { bytes: bytes.byteLength, crc: crc32(bytes) };
    const body = JSON.stringify(header);
    return {
      header: JSON.stringify({ body, crc: crc32(Buffer.from(body)) }),
      parts: new Map([...parts].map(([name, bytes]) => [name, [bytes]])),
    };
  }

  /**
   * An index from a snapshot(), without reading a skill or tokenising a word: ranks exactly as the index
   * the snapshot was taken of. Its rows hold only id, name and state. `vectorOf` reads a stored vector by
   * embedding hash (the exact stage's few rows a query). Fails with PF_ERR_STORE_CORRUPT when the snapshot
   * is of another format or stamp, a part is missing, has another length or CRC-32, or the parts do not
   * fit together: the caller rebuilds instead.
   */
  static restore(
    snapshot: IndexSnapshot,
    stamp: Record<string, unknown>,
    vectorOf?: (hash: string) => ArrayLike<number> | undefined,
  ): SkillIndex<IndexedSkill> {
    let header: SnapshotHeader;
    try {
      const outer = JSON.parse(snapshot.header) as { body?: unknown; crc?: unknown } | null;
      if (typeof outer?.body !== 'string' || crc32(Buffer.from(outer.body)) !== outer.crc)
        throw snapshotError('the header has another CRC-32');
      header = JSON.parse(outer.body) as SnapshotHeader;
    } catch (err) {
      throw isPolicyforgeError(err) ? err : snapshotError('the header is not JSON');
    }
    if (header?.format !== INDEX_SNAPSHOT_FORMAT) throw snapshotError(`format ${String(header?.format)}`);
    if (header.code !== codeFingerprint()) throw snapshotError('written by another version of the retrieval code');
    if (JSON.stringify(header.stamp) !== JSON.stringify(stamp))
      throw snapshotError(`taken of ${JSON.stringify(header.stamp)}, not ${JSON.stringify(stamp)}`);
    const dims = header.dims;
    if (!Number.isInteger(dims) || dims < 0 || !Number.isInteger(header.rows))
      throw snapshotError('the header has no row or dimension count');
    // Exactly the parts this kind of snapshot has, in the header and in the store (none extra, none missing).
    const expected = expectedParts(dims).join();
    if (
      Object.keys(header.parts ?? {})
        .sort()
        .join() !== expected ||
      [...snapshot.parts.keys()].sort().join() !== expected
    )
      throw snapshotError('its parts are not those of a snapshot with these dimensions');
    const pieces = (name: string): readonly Uint8Array[] => {
      const list = snapshot.parts.get(name);
      const listed = header.parts[name];
      if (!list || !listed) throw snapshotError(`part ${name} is missing`);
      let bytes = 0;
      let crc = 0;
      for (const piece of list) {
        bytes += piece.byteLength;
        crc = crc32(piece, crc);
      }
      if (bytes !== listed.bytes || crc !== listed.crc)
        throw snapshotError(`part ${name} has another length or CRC-32`);
      return list;
    };
    const part = (name: string): Uint8Array => {
      const list = pieces(name);
      return list.length === 1 ? list[0] : Buffer.concat(list);
    };
    const lines = (name: string): string[] => {
      const bytes = part(name);
      const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString();
      return text === '' ? [] : text.split('\n');
    };
    const rows = header.rows;
    const ids = lines('ids');
    const names = lines('names');
    const states = typed(part('states'), Uint8Array);
    if (ids.length !== rows || names.length !== rows || states.length !== rows)
      throw snapshotError('the rows do not match the header');
    const skills: IndexedSkill[] = new Array<IndexedSkill>(rows);
    for (let row = 0; row < rows; row++) {
      const state = REVIEW_STATES[states[row]] as ReviewState | undefined;
      if (!state) throw snapshotError(`row ${row} has no review state`);
      skills[row] = { id: ids[row], name: names[row], state };
    }
    const lexical = new LexicalIndex({
      terms: lines('terms'),
      order: typed(part('lexical.order'), Int32Array),
      rank: typed(part('lexical.rank'), Int32Array),
      offset: typed(part('lexical.offset'), Int32Array),
      postRows: typed(part('lexical.postRows'), Int32Array),
      postParts: typed(part('lexical.postParts'), Float64Array),
      holding: typed(part('lexical.holding'), Int32Array),
      rows,
    });
    let vectors: RestoredParts['vectors'];
    if (dims > 0) {
      if (!vectorOf) throw snapshotError('no reader for the stored vectors');
      const hasVector = typed(part('vectors.has'), Uint8Array);
      const hashBytes = part('hashes');
      const hashes = Buffer.from(hashBytes.buffer, hashBytes.byteOffset, hashBytes.byteLength);
      if (hasVector.length !== rows || hashes.length !== rows * 32)
        throw snapshotError('vectors.has or hashes do not match the rows');
      const quantised = QuantisedRows.restore(
        {
          int8: pieces('vectors.int8'),
          step: typed(part('vectors.step'), Float64Array),
          error: typed(part('vectors.error'), Float64Array),
          length: typed(part('vectors.length'), Float64Array),
        },
        rows,
        dims,
      );
      if (!quantised) throw snapshotError('the int8 kernel cannot run here');
      const rowVector = (row: number) => vectorOf(hashes.toString('hex', row * 32, row * 32 + 32));
      vectors = { dims, hasVector, quantised, rowVector };
    }
    return new SkillIndex<IndexedSkill>(skills, undefined, { lexical, vectors });
  }

  /** A restored index's unit row: read by hash and normalised as the built index normalised it (same bits). */
  private unitRow(row: number): Float32Array | undefined {
    let unit = this.rowCache.get(row);
    if (unit) return unit;
    const v = this.rowVector?.(row);
    if (!v || v.length !== this.dims) return undefined;
    const dims = this.dims;
    unit = new Float32Array(dims);
    const n = norm(v);
    for (let i = 0; i < dims; i++) unit[i] = v[i] / n;
    if (this.rowCache.size >= ROW_CACHE) this.rowCache.delete(this.rowCache.keys().next().value as number);
    this.rowCache.set(row, unit);
    return unit;
  }

  /**
   * The query's terms minus those so common they cannot tell skills apart (in more than 10 % of them):
   * BM25 would give them almost no weight anyway. When every word that matches is that common, all of
   * them are kept and returned as `required` too: the skills holding every one of them rank first.
   */
  private selective(query: string): { terms: string[]; required: string[] } {
    const limit = Math.max(20, this.skills.length * 0.1);
    const df = (t: string): number => this.lexical.documentFrequency(stem(t));
    // Words no skill contains cannot match (prefixes aside, which only longer common words reach).
    const present = tokenize(query).filter((t) => df(t) > 0 || t.length > 3);
    const kept = present.filter((t) => df(t) <= limit && (df(t) > 0 || t.length > 3));
    if (kept.some((t) => df(t) > 0)) return { terms: kept.map(stem), required: [] };
    const common = present.filter((t) => df(t) > 0).map(stem);
    return { terms: [...kept.map(stem), ...common], required: common };
  }

  /**
   * Lexical scores by row, scaled to 0..1 (0: no match): BM25+ as MiniSearch computes it (the OR of the
   * terms, the name's words boosted 2, prefix matches for terms over 3 letters, each skill's sum times the
   * number of query terms it matched). A query whose matching words are all common is an AND of them:
   * only skills holding every one score, and `rest` holds the OR's scores of the others (for lexical
   * ranking to fill up to k with); when no skill holds them all it is the OR.
   */
  private lexicalScores(query: string): { scores: Float64Array; rows: Int32Array; rest?: Float64Array } {
    const { terms, required } = this.selective(query);
    // The rows the previous query reached are still listed (until score() runs): clear its `rest` there.
    const previous = this.lexical.reached();
    for (let i = 0; i < previous.length; i++) this.rest[previous[i]] = 0;
    const { scores, matched, rows } = this.lexical.score(terms, required);
    const all = new Set(required).size;
    if (all && rows.some((row) => matched[row] === all)) {
      const rest = this.rest;
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i];
        if (matched[row] === all) continue;
        rest[row] = scores[row];
        scores[row] = 0;
      }
      return { scores: scaled(scores, rows), rows, rest: scaled(rest, rows) };
    }
    return { scores: scaled(scores, rows), rows };
  }

  /** The k best skills for the query: approved before candidates, then by score, then by name. */
  search(query: string, k: number, queryVector?: number[], lexicalWeight = 0.5): ScoredSkill<S>[] {
    return this.ranked(query, k, queryVector, lexicalWeight, 'fast');
  }

  /**
   * The reference ranking `search` must equal: every row's cosine computed from the float rows (a flat
   * scan). For tests and the bench; slower with long vectors.
   */
  searchExact(query: string, k: number, queryVector?: number[], lexicalWeight = 0.5): ScoredSkill<S>[] {
    return this.ranked(query, k, queryVector, lexicalWeight, 'exact');
  }

  /**
   * The top k by the int8 approximation alone, without the exact second stage (semantic scores are the
   * approximations): what quantisation on its own would return. Only for measuring what the second stage buys.
   */
  searchApproximate(query: string, k: number, queryVector: number[], lexicalWeight = 0.5): ScoredSkill<S>[] {
    return this.ranked(query, k, queryVector, lexicalWeight, 'approximate');
  }

  private ranked(
    query: string,
    k: number,
    queryVector: number[] | undefined,
    lexicalWeight: number,
    mode: 'fast' | 'exact' | 'approximate',
  ): ScoredSkill<S>[] {
    // Lexical scores by row, so neither stage looks up a Map per row.
    const { scores: lexical, rows: reached, rest } = this.lexicalScores(query);
    const top = new TopK<S>(k);
    if (!(queryVector && this.dims > 0 && this.hasVector && queryVector.length === this.dims)) {
      // Only the rows the query's terms reached can score: the work is theirs, not the library's size.
      // The ranking is a total order (state, score, name), so the order rows are offered in does not matter.
      const rankOf = this.rankOf;
      for (let i = 0; i < reached.length; i++) {
        const row = reached[i];
        const score = lexical[row];
        if (!(score > 0) || top.below(rankOf[row], score)) continue;
        if (top.admits(this.skills[row], score)) top.offer({ skill: this.skills[row], score, lexical: score });
      }
      const first = top.sorted();
      if (!rest || first.length >= k) return first;
      // Fewer than k skills hold every common word: the OR's best others follow them (approved skills
      // still before candidates; the sort is stable, so within a state those holding every word stay first).
      const more = new TopK<S>(k);
      for (let i = 0; i < reached.length; i++) {
        const row = reached[i];
        const score = rest[row];
        if (!(score > 0) || more.below(rankOf[row], score)) continue;
        if (more.admits(this.skills[row], score)) more.offer({ skill: this.skills[row], score, lexical: score });
      }
      return [...first, ...more.sorted()].sort((a, b) => rank(a.skill) - rank(b.skill)).slice(0, k);
    }
    const rows = this.skills.length;
    const qn = norm(queryVector);
    const q = Float32Array.from(queryVector, (x) => x / qn);
    const { matrix, hasVector, dims } = this;
    const w = lexicalWeight;
    const v = 1 - lexicalWeight;
    // Exactly the flat scan's arithmetic, so a rescored row scores as it always did.
    const offerExact = (row: number): void => {
      let dot = 0;
      if (hasVector[row]) {
        if (matrix) dot = exactDot(q, matrix, row * dims, dims);
        else {
          const unit = this.unitRow(row);
          dot = unit ? exactDot(q, unit, 0, dims) : 0;
        }
      }
      const semantic = dot > 0 ? dot : 0;
      const score = w * lexical[row] + v * semantic;
      if (score > 0) top.offer({ skill: this.skills[row], score, lexical: lexical[row], semantic });
    };
    const quantised = this.quantised;
    if (!quantised || mode === 'exact' || k <= 0 || k > MAX_FAST_K || k >= rows) {
      for (let row = 0; row < rows; row++) offerExact(row);
      this.lastScan = { path: 'exact', rows, rescored: rows };
      return top.sorted();
    }

    this.scan ??= {
      approx: new Float64Array(rows),
      bound: new Float64Array(rows),
      lo: new Float64Array(rows),
      hi: new Float64Array(rows),
    };
    const { approx, bound, lo, hi } = this.scan;
    quantised.scan(q, approx, bound);
    if (mode === 'approximate') {
      for (let row = 0; row < rows; row++) {
        const semantic = approx[row] > 0 ? approx[row] : 0;
        const score = w * lexical[row] + v * semantic;
        if (score > 0) top.offer({ skill: this.skills[row], score, lexical: lexical[row], semantic });
      }
      return top.sorted();
    }
    // Each row's exact score lies in [lo, hi]: the clamp at 0, the products by a constant and the sum are
    // all monotone, also after rounding, so bounding the cosine bounds the score computed from it.
    for (let row = 0; row < rows; row++) {
      const down = approx[row] - bound[row];
      const up = approx[row] + bound[row];
      const sLo = down > 0 ? down : 0;
      const sHi = up > 0 ? up : 0;
      const x = w * lexical[row];
      lo[row] = v >= 0 ? x + v * sLo : x + v * sHi;
      hi[row] = v >= 0 ? x + v * sHi : x + v * sLo;
    }
    // Approved rows first. If k rows of a class surely score above 0 (lo > 0) they are surely offered, so
    // a row of that class whose hi is below the k-th best lo cannot make the top k, nor can any row of a
    // later class; otherwise every row of the class that may score above 0 is rescored, and the next
    // class is considered too. Ties on the bound are rescored (names break exact ties).
    let rescored = 0;
    for (let cls = 0; cls <= 1; cls++) {
      const floor = kthLargestPositive(lo, this.rankOf, cls, k);
      for (let row = 0; row < rows; row++) {
        if (this.rankOf[row] !== cls || !(hi[row] > 0) || hi[row] < floor) continue;
        offerExact(row);
        rescored++;
      }
      if (floor > 0) break;
    }
    this.lastScan = { path: 'int8', rows, rescored };
    return top.sorted();
  }
}

/** The scores divided by the largest, in place; only `rows` hold any (the others are 0). */
function scaled(scores: Float64Array, rows: Int32Array): Float64Array {
  let max = 0;
  for (let i = 0; i < rows.length; i++) if (scores[rows[i]] > max) max = scores[rows[i]];
  if (max > 0) for (let i = 0; i < rows.length; i++) scores[rows[i]] /= max;
  return scores;
}

/** MiniSearch's BM25+ parameters (k1, b, and the lower bound d that makes it BM25+). */
const BM25 = { k: 1.2, b: 0.7, d: 0.5 };
/** Field boosts: the name's words count twice the description's. */
const FIELD_BOOST = [2, 1];
/** Weight of a prefix match, as MiniSearch's default: 0.375 · length / (length + 0.3 · extra letters). */
const PREFIX_WEIGHT = 0.375;

/**
 * BM25+ over the skills' fields with MiniSearch's arithmetic (same scores; a test pins them to MiniSearch's),
 * kept as typed postings so a search is a few tight loops over the matching rows. MiniSearch itself builds an
 * object per matching (term, skill) and a result object per hit, then sorts every hit: ~10 ms per 10,000
 * matching skills, so a query of words most skills hold took tens of milliseconds where this takes well under one.
 */
class LexicalIndex {
  /** Stemmed term → term id (ids in order of first occurrence). */
  private readonly ids: Map<string, number>;
  /** longer()'s answers by term (bounded; the index never changes, so they never go stale). */
  private readonly prefixes = new Map<string, { ids: Int32Array; weights: Float64Array }>();
  /**
   * Postings, one block for all: term id t's rows in field f are `postRows[offset[t·F + f] … offset[t·F + f + 1])`,
   * ascending, and beside each row BM25+'s term-frequency part, `d + tf·(k1+1) / (tf + k1·(1 − b + b·length/average))`,
   * computed once at build (the expression a search evaluated per row before, so the same bits); a search
   * multiplies it by the term's idf and boost. Offsets rather than a typed-array view per posting: at
   * 100,000 skills there are ~200,000 terms, and that many views cost seconds of garbage collection.
   */
  private readonly offset: Int32Array;
  private readonly postRows: Int32Array;
  private readonly postParts: Float64Array;
  /** In how many skills each term id occurs, in any field. */
  private readonly holding: Int32Array;
  private readonly rows: number;
  /**
   * Per-row buffers of score(), allocated once: dense, so a row's sums are one typed-array access, and zero
   * except on the rows the last query reached (listed in `union`), which the next query clears first.
   */
  private readonly scores: Float64Array;
  private readonly quality: Uint16Array;
  private readonly matched: Uint16Array;
  private readonly termScores: Float64Array;
  private readonly touched: Int32Array;
  private readonly hit: Uint8Array;
  private readonly union: Int32Array;
  private readonly inUnion: Uint8Array;
  private unionCount = 0;

  /**
   * An index over built (or restored) parts. The parts are checked to fit together (offsets ascending and
   * within the postings, rows within range): a damaged snapshot fails here with PF_ERR_STORE_CORRUPT
   * instead of ranking wrongly.
   */
  constructor(private readonly parts: LexicalParts) {
    const { terms, order, rank, offset, postRows, postParts, holding, rows } = parts;
    const slots = terms.length * FIELD_BOOST.length;
    if (
      order.length !== terms.length ||
      rank.length !== terms.length ||
      holding.length !== terms.length ||
      offset.length !== slots + 1 ||
      postParts.length !== postRows.length ||
      offset[0] !== 0 ||
      offset[slots] !== postRows.length
    )
      throw snapshotError('the lexical parts do not fit together');
    for (let i = 0; i < slots; i++) if (offset[i + 1] < offset[i]) throw snapshotError('lexical offsets descend');
    for (let i = 0; i < order.length; i++)
      if (!(order[i] >= 0 && order[i] < terms.length)) throw snapshotError('the term order names a term out of range');
    for (let i = 0; i < postRows.length; i++)
      if (!(postRows[i] >= 0 && postRows[i] < rows)) throw snapshotError('a posting names a row out of range');
    this.rows = rows;
    this.offset = offset;
    this.postRows = postRows;
    this.postParts = postParts;
    this.holding = holding;
    this.ids = new Map();
    for (let id = 0; id < terms.length; id++) this.ids.set(terms[id], id);
    this.scores = new Float64Array(rows);
    this.quality = new Uint16Array(rows);
    this.matched = new Uint16Array(rows);
    this.termScores = new Float64Array(rows);
    this.touched = new Int32Array(rows);
    this.hit = new Uint8Array(rows);
    this.union = new Int32Array(rows);
    this.inUnion = new Uint8Array(rows);
  }

  /**
   * `docs[row][field]`: the field's words (tokenized, not yet stemmed). Built in two passes over flat typed
   * arrays (term ids, then a counting sort by term): at 100,000 skills a Map of rows per term and field
   * cost ~25 s, most of it garbage collection.
   */
  static build(docs: readonly (readonly string[])[][]): LexicalIndex {
    const rows = docs.length;
    const fields = FIELD_BOOST.length;
    const fieldLength = new Float64Array(rows * fields);
    const averageLength = new Array<number>(fields).fill(0);
    // Pass 1: term ids in order of first occurrence (MiniSearch's insertion order), and one entry per
    // (row, field, term) with its count, rows ascending.
    const ids = new Map<string, number>();
    const terms: string[] = [];
    let entryTerm = new Int32Array(1024);
    let entryRow = new Int32Array(1024);
    let entryCount = new Float64Array(1024);
    let entries = 0;
    let perTermField = new Int32Array(1024 * fields);
    let holding = new Int32Array(1024);
    let lastRow = new Int32Array(1024).fill(-1);
    const local = new Map<number, number>(); // term id → count within one field of one row
    docs.forEach((doc, row) => {
      for (let f = 0; f < fields; f++) {
        const words = doc[f] ?? [];
        const length = new Set(words).size;
        fieldLength[row * fields + f] = length;
        // MiniSearch's running average, step by step, so the scores match it to the last bit.
        averageLength[f] = (averageLength[f] * row + length) / (row + 1);
        local.clear();
        for (const word of words) {
          const term = stem(word);
          if (!term) continue;
          let id = ids.get(term);
          if (id === undefined) {
            id = terms.length;
            ids.set(term, id);
            terms.push(term);
            if (id >= holding.length) {
              perTermField = grow(perTermField, holding.length * 2 * fields);
              lastRow = grow(lastRow, holding.length * 2, -1);
              holding = grow(holding, holding.length * 2);
            }
          }
          local.set(id, (local.get(id) ?? 0) + 1);
        }
        for (const [id, count] of local) {
          if (entries === entryTerm.length) {
            entryTerm = grow(entryTerm, entries * 2);
            entryRow = grow(entryRow, entries * 2);
            entryCount = grow(entryCount, entries * 2);
          }
          entryTerm[entries] = id * fields + f;
          entryRow[entries] = row;
          entryCount[entries] = count;
          entries++;
          perTermField[id * fields + f]++;
          if (lastRow[id] !== row) {
            lastRow[id] = row;
            holding[id]++;
          }
        }
      }
    });
    // Pass 2: a counting sort by (term, field) into one block of rows and one of BM25 parts, rows still ascending.
    const slots = terms.length * fields;
    const offset = new Int32Array(slots + 1);
    for (let i = 0; i < slots; i++) offset[i + 1] = offset[i] + perTermField[i];
    const cursor = offset.slice(0, slots);
    const postRows = new Int32Array(entries);
    const postParts = new Float64Array(entries);
    for (let e = 0; e < entries; e++) {
      const slot = entryTerm[e];
      const at = cursor[slot]++;
      const row = entryRow[e];
      const t = entryCount[e];
      const f = slot % fields;
      postRows[at] = row;
      const length = fieldLength[row * fields + f];
      postParts[at] = BM25.d + (t * (BM25.k + 1)) / (t + BM25.k * (1 - BM25.b + (BM25.b * length) / averageLength[f]));
    }
    // Prefix matches are added in the order MiniSearch's radix tree lists them, so the sums round alike:
    // each term's position in that order (the tree, with the terms inserted in the same order, is needed
    // only here), and the terms sorted, so the longer terms a prefix reaches are one range.
    const tree = new SearchableMap<number>();
    for (let id = 0; id < terms.length; id++) tree.set(terms[id], id);
    const rank = new Int32Array(terms.length);
    let position = 0;
    for (const [, id] of tree) rank[id] = position++;
    const order = Int32Array.from(terms.keys()).sort((a, b) =>
      terms[a] < terms[b] ? -1 : terms[a] > terms[b] ? 1 : 0,
    );
    return new LexicalIndex({
      terms,
      order,
      rank,
      offset,
      postRows,
      postParts,
      holding: holding.slice(0, terms.length),
      rows,
    });
  }

  /** What build() computed, for a snapshot (the arrays themselves, not copies). */
  snapshotParts(): LexicalParts {
    return this.parts;
  }

  /** In how many skills the (stemmed) term occurs. */
  documentFrequency(term: string): number {
    const id = this.ids.get(term);
    return id === undefined ? 0 : this.holding[id];
  }

  /**
   * Per row: the OR of the (stemmed) terms' BM25+ scores times the number of distinct terms it matched, and
   * how many of the distinct `required` terms it matched.
   */
  score(
    terms: readonly string[],
    required: readonly string[],
  ): { scores: Float64Array; matched: Uint16Array; rows: Int32Array } {
    const { scores, quality, matched, termScores, touched, hit, union, inUnion } = this;
    for (let i = 0; i < this.unionCount; i++) {
      const row = union[i];
      scores[row] = 0;
      quality[row] = 0;
      matched[row] = 0;
      inUnion[row] = 0;
    }
    let reached = 0;
    // The rows the current term reached, so a term costs its postings and not a pass over every row.
    const seen = new Set<string>();
    const needed = new Set(required);
    for (const term of terms) {
      let count = this.add(this.ids.get(term), 1, termScores, hit, touched, 0);
      if (term.length > 3) {
        const { ids, weights } = this.longer(term);
        for (let i = 0; i < ids.length; i++) count = this.add(ids[i], weights[i], termScores, hit, touched, count);
      }
      const first = !seen.has(term);
      seen.add(term);
      const counts = first && needed.has(term);
      for (let i = 0; i < count; i++) {
        const row = touched[i];
        scores[row] += termScores[row];
        if (first) quality[row]++;
        if (counts) matched[row]++;
        termScores[row] = 0;
        hit[row] = 0;
        if (!inUnion[row]) {
          inUnion[row] = 1;
          union[reached++] = row;
        }
      }
    }
    this.unionCount = reached;
    for (let i = 0; i < reached; i++) scores[union[i]] *= quality[union[i]];
    return { scores, matched, rows: union.subarray(0, reached) };
  }

  /**
   * The longer terms `term` is a prefix of, in the radix tree's order (the order MiniSearch adds their scores),
   * with their prefix weights. Remembered per term: walking the tree for "container" lists thousands of
   * names' words ("container123"), a fifth of a common-word query's time at 100,000 skills.
   */
  private longer(term: string): { ids: Int32Array; weights: Float64Array } {
    let found = this.prefixes.get(term);
    if (!found) {
      const { terms, order, rank } = this.parts;
      let lo = 0;
      let hi = order.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (terms[order[mid]] < term) lo = mid + 1;
        else hi = mid;
      }
      const longer: number[] = [];
      for (let i = lo; i < order.length && terms[order[i]].startsWith(term); i++)
        if (terms[order[i]].length > term.length) longer.push(order[i]);
      longer.sort((a, b) => rank[a] - rank[b]);
      found = {
        ids: Int32Array.from(longer),
        weights: Float64Array.from(longer, (id) => {
          const other = terms[id];
          const extra = other.length - term.length;
          return (PREFIX_WEIGHT * other.length) / (other.length + 0.3 * extra);
        }),
      };
      if (this.prefixes.size >= 1024) this.prefixes.delete(this.prefixes.keys().next().value as string);
      this.prefixes.set(term, found);
    }
    return found;
  }

  /** The rows the last score() reached (valid until the next call). */
  reached(): Int32Array {
    return this.union.subarray(0, this.unionCount);
  }

  /** Adds one term's weighted scores into `into`; returns the new count of rows listed in `touched`. */
  private add(
    id: number | undefined,
    weight: number,
    into: Float64Array,
    hit: Uint8Array,
    touched: Int32Array,
    count: number,
  ): number {
    if (id === undefined) return count;
    const fields = FIELD_BOOST.length;
    const n = this.rows;
    const { offset, postRows, postParts } = this;
    for (let f = 0; f < fields; f++) {
      const from = offset[id * fields + f];
      const to = offset[id * fields + f + 1];
      const length = to - from;
      if (!length) continue;
      const idf = Math.log(1 + (n - length + 0.5) / (length + 0.5));
      const boost = weight * FIELD_BOOST[f];
      for (let i = from; i < to; i++) {
        const row = postRows[i];
        into[row] += boost * (idf * postParts[i]);
        if (!hit[row]) {
          hit[row] = 1;
          touched[count++] = row;
        }
      }
    }
    return count;
  }
}

/** A LexicalIndex's arrays: what build() computes and a snapshot keeps. */
interface LexicalParts {
  /** Stemmed terms by id, in order of first occurrence. */
  terms: string[];
  /** Term ids sorted by term: the longer terms a prefix reaches are one range of it. */
  order: Int32Array;
  /** Each term id's position in MiniSearch's radix-tree order (the order prefix matches' scores are added in). */
  rank: Int32Array;
  offset: Int32Array;
  postRows: Int32Array;
  postParts: Float64Array;
  holding: Int32Array;
  rows: number;
}

/** A snapshot that does not fit together: the library rebuilds the index instead of trusting it. */
function snapshotError(why: string): PolicyforgeError {
  return pfError('PF_ERR_STORE_CORRUPT', 'retrieval index snapshot', why);
}

/** A copy of `array` with room for `length` items (the new ones set to `fill`). */
function grow<T extends Int32Array | Float64Array>(array: T, length: number, fill = 0): T {
  const bigger = new (array.constructor as new (n: number) => T)(length);
  bigger.set(array);
  if (fill !== 0) bigger.fill(fill, array.length);
  return bigger;
}

/** The k-th largest positive value of `values` among rows of class `cls`; -Infinity if fewer than k. */
function kthLargestPositive(values: Float64Array, classOf: Uint8Array, cls: number, k: number): number {
  const best = new Float64Array(k); // descending
  let count = 0;
  for (let row = 0; row < values.length; row++) {
    const x = values[row];
    if (classOf[row] !== cls || !(x > 0) || (count === k && x <= best[k - 1])) continue;
    let i = count < k ? count++ : k - 1;
    while (i > 0 && best[i - 1] < x) {
      best[i] = best[i - 1];
      i--;
    }
    best[i] = x;
  }
  return count === k ? best[k - 1] : -Infinity;
}

/** The dot product as the flat scan always computed it (four float64 partial sums over float32 inputs). */
function exactDot(q: Float32Array, m: Float32Array, base: number, dims: number): number {
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
  return d0 + d1 + d2 + d3;
}

/**
 * Slack added to every error bound for floating-point rounding in computing the approximation, the bound
 * itself and the exact dot product (each off by well under 1e-12 for unit vectors of a few thousand dims).
 */
const ROUNDING_SLACK = 1e-9;

/**
 * int8 copies of the unit rows, in WebAssembly memory, scanned by a SIMD kernel. Row r is stored as
 * x̂ = round(x · 127 / max|x|) with its step s_r = max|x| / 127, and the query likewise (q̂, s_q), so
 * q·x ≈ (q̂·x̂) s_q s_r. The error of that is at most |q|·|x − s_r x̂| + |q − s_q q̂|·|s_r x̂| (split the
 * difference, then Cauchy–Schwarz); the two row norms are computed once here, the query's per search.
 * Memory: one byte per dimension (15.4 MB for 10k × 1536) beside the 4-byte float rows kept for the exact
 * stage, plus 16 bytes a row for the norms.
 */
class QuantisedRows {
  private constructor(
    private readonly dot: (q: number, m: number, rows: number, stride: number, out: number) => void,
    private readonly rows: number,
    private readonly dims: number,
    private readonly stride: number,
    private readonly q: Int8Array,
    private readonly out: Int32Array,
    private readonly outOffset: number,
    private readonly matrixOffset: number,
    /** The int8 rows, each padded with zeros to `stride` bytes. */
    private readonly m: Int8Array,
    /** s_r, |x − s_r x̂| and |s_r x̂| per row. */
    private readonly step: Float64Array,
    private readonly error: Float64Array,
    private readonly length: Float64Array,
  ) {}

  /** Memory and kernel for rows × dims, all rows zero; undefined when the kernel cannot run here. */
  private static create(rows: number, dims: number): QuantisedRows | undefined {
    const module = int8Kernel();
    if (!module || !wasm || rows === 0 || dims === 0) return undefined;
    const stride = Math.ceil(dims / 16) * 16; // rows padded with zeros to whole 16-byte lanes
    const outOffset = stride;
    const matrixOffset = outOffset + Math.ceil((rows * 4) / 16) * 16;
    const bytes = matrixOffset + rows * stride;
    if (bytes > 2 ** 31) return undefined; // the kernel's offsets are i32
    let exports: Record<string, unknown>;
    let buffer: ArrayBuffer;
    try {
      const memory = new wasm.Memory({ initial: Math.ceil(bytes / 65536) });
      exports = new wasm.Instance(module, { env: { memory } }).exports;
      buffer = memory.buffer; // never grown, so views on it stay valid
    } catch {
      return undefined;
    }
    const dot = exports.dot as (q: number, m: number, rows: number, stride: number, out: number) => void;
    return new QuantisedRows(
      dot,
      rows,
      dims,
      stride,
      new Int8Array(buffer, 0, stride),
      new Int32Array(buffer, outOffset, rows),
      outOffset,
      matrixOffset,
      new Int8Array(buffer, matrixOffset, rows * stride),
      new Float64Array(rows),
      new Float64Array(rows),
      new Float64Array(rows),
    );
  }

  /** undefined when the kernel cannot run here (no WebAssembly SIMD, or no room): callers scan exactly. */
  static build(matrix: Float32Array, rows: number, dims: number): QuantisedRows | undefined {
    const built = QuantisedRows.create(rows, dims);
    if (!built) return undefined;
    const { m, step, error, length, stride } = built;
    for (let row = 0; row < rows; row++) {
      const base = row * dims;
      let max = 0;
      for (let i = 0; i < dims; i++) {
        const a = Math.abs(matrix[base + i]);
        if (a > max || a !== a) max = a !== a ? NaN : a;
        if (max !== max) break;
      }
      if (max === 0) continue; // no vector: all zeros, exactly
      if (!Number.isFinite(max)) {
        error[row] = Infinity; // a vector with NaN or ∞ in it: no bound, so the row is always rescored
        continue;
      }
      const s = max / 127;
      let e = 0;
      let l = 0;
      for (let i = 0; i < dims; i++) {
        const x = matrix[base + i];
        const c = Math.max(-127, Math.min(127, Math.round(x / s)));
        m[row * stride + i] = c;
        e += (x - c * s) ** 2;
        l += (c * s) ** 2;
      }
      step[row] = s;
      error[row] = Math.sqrt(e);
      length[row] = Math.sqrt(l);
    }
    return built;
  }

  /** What build() computed, for a snapshot (views, not copies). */
  parts(): QuantisedParts {
    return { int8: this.m, step: this.step, error: this.error, length: this.length };
  }

  /**
   * The rows a snapshot kept, copied into fresh kernel memory: undefined when the kernel cannot run here;
   * PF_ERR_STORE_CORRUPT when the parts do not fit rows × dims.
   */
  static restore(
    parts: Omit<QuantisedParts, 'int8'> & { int8: readonly Uint8Array[] },
    rows: number,
    dims: number,
  ): QuantisedRows | undefined {
    const restored = QuantisedRows.create(rows, dims);
    if (!restored) return undefined;
    const { m, step, error, length } = restored;
    if (
      parts.int8.reduce((sum, piece) => sum + piece.byteLength, 0) !== m.length ||
      parts.step.length !== rows ||
      parts.error.length !== rows ||
      parts.length.length !== rows
    )
      throw snapshotError('the int8 rows do not fit the rows and dimensions');
    const into = new Uint8Array(m.buffer, m.byteOffset, m.byteLength);
    let at = 0;
    for (const piece of parts.int8) {
      into.set(piece, at);
      at += piece.byteLength;
    }
    step.set(parts.step);
    error.set(parts.error);
    length.set(parts.length);
    return restored;
  }

  /** Approximate cosines of the unit query q with every row, and bounds: |exact − approx[r]| ≤ bound[r]. */
  scan(q: Float32Array, approx: Float64Array, bound: Float64Array): void {
    let max = 0;
    for (let i = 0; i < this.dims; i++) max = Math.max(max, Math.abs(q[i]));
    const s = max / 127;
    let qLength = 0;
    let qError = 0;
    for (let i = 0; i < this.dims; i++) {
      const c = s > 0 ? Math.max(-127, Math.min(127, Math.round(q[i] / s))) : 0;
      this.q[i] = c;
      qLength += q[i] * q[i];
      qError += (q[i] - c * s) ** 2;
    }
    qLength = Math.sqrt(qLength);
    qError = Math.sqrt(qError);
    this.dot(0, this.matrixOffset, this.rows, this.stride, this.outOffset);
    const { out, step, error, length } = this;
    for (let row = 0; row < this.rows; row++) {
      approx[row] = out[row] * s * step[row];
      const b = qLength * error[row] + qError * length[row] + ROUNDING_SLACK;
      bound[row] = b === b ? b : Infinity; // NaN (an unbounded row times a zero query): no bound either
    }
  }
}

/** The int8 rows and their per-row numbers, as a snapshot keeps them. */
interface QuantisedParts {
  int8: Int8Array;
  step: Float64Array;
  error: Float64Array;
  length: Float64Array;
}

/** The parts of the WebAssembly API used here (the project's TypeScript libs do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer };
}
const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

let kernelModule: object | null | undefined;
function int8Kernel(): object | undefined {
  if (kernelModule === undefined) {
    try {
      kernelModule = wasm ? new wasm.Module(INT8_DOT_WASM) : null;
    } catch {
      kernelModule = null; // an engine without WebAssembly SIMD: every search scans exactly
    }
  }
  return kernelModule ?? undefined;
}

/**
 * A WebAssembly module with one function, assembled here rather than shipped as an opaque blob:
 *
 *   dot(q, m, rows, stride, out): for each of `rows` rows of `stride` int8 values starting at m,
 *   out[row] = Σ q[i]·m[i] (i32), 16 lanes at a time; q and every row are padded to `stride` (a
 *   multiple of 16) with zeros. Memory is imported (env.memory).
 *
 * Per 16 bytes: two v128 loads, i16x8.extmul_low/high_i8x16_s (products fit i16: |c| ≤ 127, and so does
 * the sum of two, ≤ 32258), i16x8.add, i32x4.extadd_pairwise_i16x8_s, i32x4.add. The i32 sum cannot
 * overflow below 130,000 dimensions.
 */
const INT8_DOT_WASM = (() => {
  const u = (n: number): number[] => {
    const out: number[] = [];
    do {
      let b = n & 0x7f;
      n >>>= 7;
      if (n) b |= 0x80;
      out.push(b);
    } while (n);
    return out;
  };
  const vec = (items: number[][]): number[] => [...u(items.length), ...items.flat()];
  const section = (id: number, bytes: number[]): number[] => [id, ...u(bytes.length), ...bytes];
  const name = (text: string): number[] => vec([...Buffer.from(text)].map((b) => [b]));
  const [I32, V128] = [0x7f, 0x7b];
  const get = (i: number) => [0x20, i];
  const set = (i: number) => [0x21, i];
  const tee = (i: number) => [0x22, i];
  const simd = (op: number, ...immediates: number[]) => [0xfd, ...u(op), ...immediates];
  const load = simd(0x00, 4, 0); // v128.load align=16 offset=0
  const [Q, M, ROWS, STRIDE, OUT, I, ACC, QV, MV] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const lane = (l: number) => [...get(ACC), ...simd(0x1b, l)]; // i32x4.extract_lane
  const body = [
    ...[0x03, 0x40], // loop (rows)
    ...simd(0x0c, ...new Array<number>(16).fill(0)),
    ...set(ACC), // acc = 0
    ...[0x41, 0],
    ...set(I), // i = 0
    ...[0x03, 0x40], // loop (lanes)
    ...get(Q),
    ...get(I),
    0x6a,
    ...load,
    ...set(QV),
    ...get(M),
    ...get(I),
    0x6a,
    ...load,
    ...set(MV),
    ...get(ACC),
    ...get(QV),
    ...get(MV),
    ...simd(0x9c), // i16x8.extmul_low_i8x16_s
    ...get(QV),
    ...get(MV),
    ...simd(0x9d), // i16x8.extmul_high_i8x16_s
    ...simd(0x8e), // i16x8.add
    ...simd(0x7e), // i32x4.extadd_pairwise_i16x8_s
    ...simd(0xae), // i32x4.add
    ...set(ACC),
    ...get(I),
    0x41,
    16,
    0x6a,
    ...tee(I),
    ...get(STRIDE),
    0x49,
    0x0d,
    0, // i += 16; br_if i <u stride
    0x0b, // end lanes
    ...get(OUT),
    ...lane(0),
    ...lane(1),
    0x6a,
    ...lane(2),
    0x6a,
    ...lane(3),
    0x6a,
    0x36,
    2,
    0, // *out = Σ lanes
    ...get(OUT),
    0x41,
    4,
    0x6a,
    ...set(OUT), // out += 4
    ...get(M),
    ...get(STRIDE),
    0x6a,
    ...set(M), // m += stride
    ...get(ROWS),
    0x41,
    0x7f,
    0x6a,
    ...tee(ROWS),
    0x0d,
    0, // rows -= 1; br_if rows != 0
    0x0b, // end rows
    0x0b, // end function
  ];
  const code = [
    ...vec([
      [1, I32],
      [3, V128],
    ]),
    ...body,
  ]; // locals: i; acc, qv, mv
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0], // magic, version 1
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32], [I32]]), 0]])), // type: (i32 × 5) → ()
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 1]])), // import env.memory, min 1 page
    ...section(3, vec([[0]])), // one function of type 0
    ...section(7, vec([[...name('dot'), 0x00, 0]])), // export it as "dot"
    ...section(10, vec([[...u(code.length), ...code]])),
  ]);
})();

/** Approved skills before candidates, then by score; names break ties so results are stable. */
function better(a: ScoredSkill<IndexedSkill>, b: ScoredSkill<IndexedSkill>): boolean {
  const ra = rank(a.skill);
  const rb = rank(b.skill);
  if (ra !== rb) return ra < rb;
  if (a.score !== b.score) return a.score > b.score;
  return a.skill.name < b.skill.name;
}

/** The k best offers, kept sorted (k is small: a linear insertion beats sorting every scored skill). */
class TopK<S extends IndexedSkill> {
  private readonly items: ScoredSkill<S>[] = [];
  /** Once k offers are kept: the worst one's rank and score, for below() (Infinity: not full yet). */
  worstRank = Infinity;
  worstScore = -Infinity;
  constructor(private readonly k: number) {}
  /**
   * Whether a row of this rank and score surely cannot enter (its name is not needed to tell): a scan over
   * thousands of rows then reads no Skill object for most of them.
   */
  below(rank: number, score: number): boolean {
    return rank > this.worstRank || (rank === this.worstRank && score < this.worstScore);
  }
  /**
   * Whether an offer of this skill and score would be kept (what offer() checks first), so a caller scanning
   * thousands of rows builds an offer object only for those that can enter the top k.
   */
  admits(skill: S, score: number): boolean {
    if (this.k <= 0) return false;
    const items = this.items;
    if (items.length < this.k) return true;
    const worst = items[items.length - 1];
    const ra = rank(skill);
    const rb = rank(worst.skill);
    if (ra !== rb) return ra < rb;
    if (score !== worst.score) return score > worst.score;
    return skill.name < worst.skill.name;
  }
  offer(item: ScoredSkill<S>): void {
    if (this.k <= 0) return;
    const items = this.items;
    if (items.length === this.k && !better(item, items[items.length - 1])) return;
    let i = items.length;
    while (i > 0 && better(item, items[i - 1])) i--;
    items.splice(i, 0, item);
    if (items.length > this.k) items.pop();
    if (items.length === this.k) {
      const worst = items[items.length - 1];
      this.worstRank = rank(worst.skill);
      this.worstScore = worst.score;
    }
  }
  sorted(): ScoredSkill<S>[] {
    return this.items;
  }
}

function rank(skill: IndexedSkill): number {
  return skill.state === 'approved' ? 0 : 1;
}

function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s) || 1;
}

/** The embedding client, its cache namespace and batch size. */
export interface EmbeddingSource {
  embeddings: EmbeddingsInterface;
  model: string;
}
