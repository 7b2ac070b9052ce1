import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { Redis } from 'ioredis';
import { silentLogger, type Skill } from '../common/index.js';
import Database from 'better-sqlite3';
import {
  openRedisStore,
  openSqliteStore,
  SkillLibrary,
  type SkillLibraryOptions,
  type SkillStore,
} from '../skills/index.js';
import MiniSearch from 'minisearch';
import {
  embeddingHash as embeddingHashOf,
  embeddingText,
  SkillIndex,
  stem,
  tokenize,
  type ScoredSkill,
} from '../skills/retrieval.js';
import type { BenchSection } from './benches.js';
import { gaussian, rng } from '../test/support/seeded-random.js';

/**
 * Retrieval over 10,000 skills (issue 5: p50 under 10 ms). The library keeps its index in memory and
 * rebuilds it only when the store's revision moves, so a search costs: one revision read, the ranking,
 * and one usage-count write. Measured on SQLite and Redis stores, lexical and hybrid (with an in-process
 * embedding function, so the figure is retrieval and not a network round trip to an embedding API).
 */
const SKILLS = 10_000;
const SEARCHES = 300;

const NOUNS = [
  'container',
  'image',
  'label',
  'annotation',
  'namespace',
  'quantity',
  'subject',
  'selector',
  'owner',
  'ingress',
  'host',
  'probe',
  'volume',
  'capability',
  'replica',
  'service',
  'port',
  'secret',
  'role',
  'binding',
  'registry',
  'tag',
  'digest',
  'limit',
  'request',
  'node',
  'taint',
  'toleration',
  'affinity',
  'network',
];
const VERBS = [
  'has',
  'get',
  'count',
  'list',
  'find',
  'check',
  'parse',
  'match',
  'require',
  'forbid',
  'normalise',
  'compare',
];
const ADJECTIVES = [
  'privileged',
  'missing',
  'latest',
  'external',
  'empty',
  'duplicate',
  'protected',
  'exposed',
  'unscoped',
  'default',
  'readonly',
  'mutable',
];
const QUERIES = [
  'block privileged containers in namespace prod',
  'disallow the latest image tag',
  'images must come from registry.example.com',
  'require a team label on deployments',
  'ingress hosts must end in example.com',
  'containers need cpu requests and memory limits',
  'only platform admins may bind cluster-admin',
  'warn about missing readiness probes',
  'deny hostPath volumes',
  'protect namespaces labelled protected',
];

/**
 * Queries whose every word is common in the generated library (each in more than 10 % of the skills, checked
 * when the bench runs): the worst case for lexical ranking, where no rare word narrows the skills to score.
 */
const HARD_QUERIES = [
  'containers in a pod',
  'pod labels',
  'label every pod in the namespace',
  'containers of pods in a namespace',
  'pod container label namespace',
];

/**
 * Where in the object a skill looks, as real Kubernetes helper descriptions say it ("the images of each
 * container in the pod", "pods selected by label"): each clause is added to a skill's description
 * independently with the given share (seeded, so reruns compare like with like). These make "pod",
 * "container", "label" and "namespace" common words, as they are in a real library about pods.
 */
const SCOPES: [clause: string, share: number][] = [
  ['of each container', 0.45],
  ['in the pod', 0.6],
  ['selected by label', 0.3],
  ['within its namespace', 0.25],
];

function pick<T>(list: readonly T[], i: number): T {
  return list[i % list.length];
}

/** Deterministic bag-of-words vectors, computed in-process (stands in for an embedding API). */
class HashEmbeddings implements EmbeddingsInterface {
  constructor(readonly dims: number) {}
  embed(text: string): number[] {
    const v = new Array<number>(this.dims).fill(0);
    for (const w of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
      let h = 2166136261;
      for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 16777619);
      v[Math.abs(h) % this.dims] += 1;
    }
    return v;
  }
  async embedDocuments(texts: string[]): Promise<number[][]> {
    return texts.map((t) => this.embed(t));
  }
  async embedQuery(text: string): Promise<number[]> {
    return this.embed(text);
  }
}

async function fill(store: SkillStore, count = SKILLS): Promise<void> {
  await new SkillLibrary(store, { logger: silentLogger }).seedBuiltins();
  const random = rng(11);
  for (let i = 0; i < count; i++) {
    const verb = pick(VERBS, i);
    const noun = pick(NOUNS, Math.floor(i / VERBS.length));
    const adj = pick(ADJECTIVES, Math.floor(i / (VERBS.length * NOUNS.length)));
    const name = `${verb}${cap(adj)}${cap(noun)}${i}`;
    const scope = SCOPES.filter(([, share]) => random() < share)
      .map(([clause]) => ` ${clause}`)
      .join('');
    await store.putSkill({
      name,
      description: `${cap(verb)} the ${adj} ${noun}s${scope} of an object (variant ${i}) and return them for the policy to judge.`,
      code: `function ${name}(obj) {\n  return (obj && obj.spec && obj.spec.${noun}s) || ${i};\n}\n`,
      tests: [],
      provenance: { date: '2026-11-25T00:00:00.000Z', source: 'generated' },
      state: i % 10 === 0 ? 'candidate' : 'approved',
    });
  }
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

interface Row {
  store: string;
  mode: string;
  indexMs: number;
  /** CPU time of this process for the first search, and per search after it (the machine is shared). */
  indexCpuMs: number;
  cpuPerSearchMs: number;
  p50: number;
  p95: number;
  max: number;
  /** How the library got its index (built, restored from the store's snapshot, ...). */
  stats: SkillLibrary['indexStats'];
}

async function measure(
  storeName: string,
  mode: string,
  store: SkillStore,
  embeddings?: EmbeddingsInterface,
  queries: readonly string[] = QUERIES,
  model = mode,
  options: SkillLibraryOptions = {},
): Promise<Row> {
  const library = new SkillLibrary(store, { embeddings, embeddingModel: model, logger: silentLogger, ...options });
  let t = performance.now();
  const cpu0 = process.cpuUsage();
  await library.search(QUERIES[0]); // builds the index (and embeds every skill once, when hybrid)
  const indexMs = performance.now() - t;
  const indexCpuMs = cpuMs(process.cpuUsage(cpu0));
  const cpu1 = process.cpuUsage();
  const times: number[] = [];
  for (let i = 0; i < SEARCHES; i++) {
    t = performance.now();
    const hits = await library.search(`${pick(queries, i)} ${i % 7 === 0 ? 'quickly' : ''}`.trim());
    times.push(performance.now() - t);
    if (!hits.length) throw new Error(`no hits for ${pick(queries, i)}`);
  }
  const cpuPerSearchMs = cpuMs(process.cpuUsage(cpu1)) / SEARCHES;
  times.sort((a, b) => a - b);
  return {
    store: storeName,
    mode,
    indexMs,
    indexCpuMs,
    cpuPerSearchMs,
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    max: times[times.length - 1],
    stats: { ...library.indexStats },
  };
}

interface Agreement {
  set: string;
  queries: number;
  /** Queries whose `search` top 5 equals `searchExact`'s (skills, order and scores). */
  identical: number;
  /** The same for the int8 approximation alone (no exact second stage), and its mean top-5 overlap. */
  approxIdentical: number;
  approxOverlap: number;
  rescoredMean: number;
  rescoredMax: number;
  fastP50: number;
  fastP95: number;
  exactP50: number;
  exactP95: number;
}

/**
 * Ranking agreement and the cost of the ranking alone (SkillIndex directly, no store): the two-stage
 * search against the flat float scan it must equal, and the int8 approximation on its own.
 */
function agreement(
  set: string,
  skills: Skill[],
  vectors: Map<string, number[]>,
  queries: { text: string; vector: number[] }[],
): Agreement {
  const index = new SkillIndex(skills, vectors);
  const same = (a: ScoredSkill[], b: ScoredSkill[]) =>
    a.length === b.length && a.every((h, i) => h.skill.id === b[i].skill.id && h.score === b[i].score);
  let identical = 0;
  let approxIdentical = 0;
  let overlap = 0;
  const rescored: number[] = [];
  const fast: number[] = [];
  const exact: number[] = [];
  // Timed apart (each after a warm-up pass), so one scan does not run on caches the other just filled.
  const timed = (search: (text: string, vector: number[]) => unknown, into: number[]): void => {
    for (let round = 0; round < 2; round++) {
      for (const { text, vector } of queries) {
        const t = performance.now();
        search(text, vector);
        if (round === 1) into.push(performance.now() - t);
      }
    }
  };
  timed((text, vector) => {
    index.search(text, 5, vector);
    const scan = index.lastScan;
    if (rescored.length < queries.length) rescored.push(scan?.path === 'int8' ? scan.rescored : skills.length);
  }, fast);
  timed((text, vector) => index.searchExact(text, 5, vector), exact);
  for (const { text, vector } of queries) {
    const got = index.search(text, 5, vector);
    const want = index.searchExact(text, 5, vector);
    if (same(got, want)) identical++;
    const approx = index.searchApproximate(text, 5, vector);
    if (approx.map((h) => h.skill.id).join() === want.map((h) => h.skill.id).join()) approxIdentical++;
    const wanted = new Set(want.map((h) => h.skill.id));
    overlap += want.length ? approx.filter((h) => wanted.has(h.skill.id)).length / want.length : 1;
  }
  fast.sort((a, b) => a - b);
  exact.sort((a, b) => a - b);
  return {
    set,
    queries: queries.length,
    identical,
    approxIdentical,
    approxOverlap: overlap / queries.length,
    rescoredMean: rescored.reduce((a, b) => a + b, 0) / rescored.length,
    rescoredMax: Math.max(...rescored),
    fastP50: percentile(fast, 50),
    fastP95: percentile(fast, 95),
    exactP50: percentile(exact, 50),
    exactP95: percentile(exact, 95),
  };
}

/** The bench's skills (approved and candidates) with the hashing vectors, and with two random vector sets. */
async function agreements(store: SkillStore): Promise<Agreement[]> {
  const skills = await store.listSkills({ state: ['approved', 'candidate'] });
  const dims = 1536;
  const hashing = new HashEmbeddings(dims);
  const texts = QUERIES.flatMap((q) => [q, `${q} quickly`]);
  const hashVectors = new Map(skills.map((s) => [s.id, hashing.embed(embeddingText(s))]));
  const hashQueries = await Promise.all(texts.map(async (text) => ({ text, vector: await hashing.embedQuery(text) })));
  const out = [agreement('bench skills, hashing vectors, its 20 queries', skills, hashVectors, hashQueries)];
  hashVectors.clear();

  // Dense vectors like real embeddings: isotropic, then clustered (100 topics, every query near one, so
  // ~100 skills compete for its top 5).
  const random = rng(5);
  const isotropic = new Map(skills.map((s) => [s.id, Array.from({ length: dims }, () => gaussian(random))]));
  const rows = [...isotropic.values()];
  const randomQueries = Array.from({ length: 200 }, (_, i) => ({
    text: pick(QUERIES, i),
    // Half in random directions, half near a skill's vector (a query that resembles one skill).
    vector:
      i % 2
        ? rows[Math.floor(random() * rows.length)].map((x) => x + gaussian(random))
        : Array.from({ length: dims }, () => gaussian(random)),
  }));
  out.push(agreement('random dense vectors', skills, isotropic, randomQueries));
  isotropic.clear();

  const centres = Array.from({ length: 100 }, () => Array.from({ length: dims }, () => gaussian(random)));
  const clustered = new Map(skills.map((s, i) => [s.id, centres[i % centres.length].map((x) => x + gaussian(random))]));
  const clusterQueries = Array.from({ length: 200 }, (_, i) => ({
    text: pick(QUERIES, i),
    vector: centres[Math.floor(random() * centres.length)].map((x) => x + gaussian(random)),
  }));
  out.push(agreement('random dense vectors around 100 topics', skills, clustered, clusterQueries));
  return out;
}

const HARD = 'lexical, hard queries (every word common)';

/** Counts the texts embedded, so a restart can show it embedded none of the stored skills. */
class CountingEmbeddings extends HashEmbeddings {
  documents = 0;
  override async embedDocuments(texts: string[]): Promise<number[][]> {
    this.documents += texts.length;
    return super.embedDocuments(texts);
  }
}

interface ScaleRow {
  skills: number;
  fillS: number;
  /** First search builds the index (and embeds every skill, when hybrid) and persists it in the store. */
  lexical: Row;
  hybrid: Row;
  /**
   * After a restart (store closed and reopened, a new library): the index restored from the snapshot the
   * libraries above persisted, and rebuilt instead (persistIndex: false: every skill read, tokenised, and
   * its stored vector read back and quantised).
   */
  lexicalRestored: Row;
  lexicalRebuilt: Row;
  hybridRestored: Row;
  hybridRebuilt: Row;
  /** Texts sent to the embedding function by the two hybrid libraries after the restart. */
  embeddedOnRestart: number;
  /** Bytes of the persisted snapshots (index_parts) in MB, by mode. */
  lexicalSnapshotMB: number;
  hybridSnapshotMB: number;
  /** Writing the hybrid index's snapshot to the store (SkillIndex.snapshot + putIndexSnapshot), ms. */
  persistMs: number;
  /** Opening the store before the restored hybrid library's first search (openSqliteStore: its quick_check reads every page), ms. */
  openMs: number;
  rankingP50: number;
  flatP50: number;
}

/** A new library's first search and searches on a freshly reopened store; throws unless its index came as expected. */
async function afterRestart(
  path: string,
  mode: string,
  expected: 'restored' | 'built',
  embeddings?: EmbeddingsInterface,
): Promise<Row & { openMs: number }> {
  const t = performance.now();
  const store = await openSqliteStore(path);
  const openMs = performance.now() - t;
  try {
    const row = await measure('SQLite', mode, store, embeddings, QUERIES, 'scale-1536', {
      persistIndex: expected === 'restored',
    });
    if (row.stats[expected] !== 1 || row.stats.rejected)
      throw new Error(`${mode}: expected the index ${expected}, got ${JSON.stringify(row.stats)}`);
    return { ...row, openMs };
  } finally {
    await store.close();
  }
}

/** Megabytes of index snapshot parts stored per key. */
function snapshotSizes(path: string): Map<string, number> {
  const db = new Database(path, { readonly: true });
  try {
    const rows = db.prepare('SELECT key, SUM(length(bytes)) AS bytes FROM index_parts GROUP BY key').all() as {
      key: string;
      bytes: number;
    }[];
    return new Map(rows.map((r) => [r.key, r.bytes / 1e6]));
  } finally {
    db.close();
  }
}

/**
 * Issue 17: the same searches at 1k, 10k and 100k skills through `SkillLibrary` on SQLite: lexical and hybrid
 * 1536-dim (first search builds and persists the index), then after restarts (store closed and reopened, a
 * new library each time): the index restored from the persisted snapshot, and rebuilt without it (stored
 * vectors read back, not re-embedded). Beside them, the hybrid ranking alone (SkillIndex) and the
 * brute-force flat cosine scan of the same rows (`searchExact`), timed interleaved.
 */
async function scale(dir: string, sizes: number[]): Promise<ScaleRow[]> {
  const out: ScaleRow[] = [];
  for (const n of sizes) {
    const path = join(dir, `scale-${n}.sqlite`);
    let store = await openSqliteStore(path);
    let t = performance.now();
    await fill(store, n);
    const fillS = (performance.now() - t) / 1000;
    const lexical = await measure('SQLite', 'lexical', store);
    const hybrid = await measure(
      'SQLite',
      'hybrid, 1536-dim vectors',
      store,
      new HashEmbeddings(1536),
      QUERIES,
      'scale-1536',
    );
    await store.close();
    const sizes = snapshotSizes(path);
    const sizeOf = (hybridKey: boolean) =>
      [...sizes].find(([key]) => key.endsWith(hybridKey ? 'model=scale-1536' : ':lexical'))?.[1] ?? NaN;
    const lexicalRestored = await afterRestart(path, 'lexical, restored', 'restored');
    const lexicalRebuilt = await afterRestart(path, 'lexical, rebuilt', 'built');
    const counting = new CountingEmbeddings(1536);
    const hybridRestored = await afterRestart(path, 'hybrid, restored', 'restored', counting);
    const hybridRebuilt = await afterRestart(path, 'hybrid, rebuilt', 'built', counting);

    store = await openSqliteStore(path);
    const skills = await store.listSkills({ state: ['approved', 'candidate'] });
    const stored = await store.getEmbeddings(
      'scale-1536',
      skills.map((sk) => embeddingHashOf(sk)),
    );
    const vectors = new Map<string, ArrayLike<number>>();
    for (const sk of skills) {
      const v = stored.get(embeddingHashOf(sk));
      if (v) vectors.set(sk.id, v);
    }
    stored.clear();
    const index = new SkillIndex(skills, vectors);
    vectors.clear();
    // The cost a search pays once after each revision change when it persists the index it built.
    t = performance.now();
    const snapshot = index.snapshot({ key: 'bench:persist' }, (sk) => embeddingHashOf(sk));
    if (!snapshot || !(await store.putIndexSnapshot?.('bench:persist', await store.revision(), snapshot)))
      throw new Error('the hybrid index could not be persisted');
    const persistMs = performance.now() - t;
    await store.close();
    const queries = QUERIES.map((q) => ({ text: q, vector: counting.embed(q) }));
    const fast: number[] = [];
    const flat: number[] = [];
    for (let round = 0; round < 3; round++) {
      for (const { text, vector } of queries) {
        t = performance.now();
        index.search(text, 5, vector);
        if (round) fast.push(performance.now() - t);
        t = performance.now();
        index.searchExact(text, 5, vector);
        if (round) flat.push(performance.now() - t);
      }
    }
    fast.sort((a, b) => a - b);
    flat.sort((a, b) => a - b);
    out.push({
      skills: n,
      fillS,
      lexical,
      hybrid,
      lexicalRestored,
      lexicalRebuilt,
      hybridRestored,
      hybridRebuilt,
      embeddedOnRestart: counting.documents,
      lexicalSnapshotMB: sizeOf(false),
      hybridSnapshotMB: sizeOf(true),
      persistMs,
      openMs: hybridRestored.openMs,
      rankingP50: percentile(fast, 50),
      flatP50: percentile(flat, 50),
    });
    rmSync(path, { force: true });
  }
  return out;
}

interface RankingRow {
  queries: string;
  p50: number;
  p95: number;
  miniP50: number;
  miniP95: number;
}

/**
 * Lexical ranking alone (SkillIndex, no store), k = 5, and for comparison MiniSearch's own search (BM25+, the
 * options SkillIndex used to pass it) of the same query over the same skills: what the ranking cost when
 * MiniSearch scored it, with every word of the query kept.
 */
function rankingOnly(skills: readonly Skill[]): RankingRow[] {
  const index = new SkillIndex(skills);
  const mini = new MiniSearch<{ id: string; words: string; description: string }>({
    fields: ['words', 'description'],
    idField: 'id',
    tokenize,
    processTerm: (term) => stem(term.toLowerCase()),
    searchOptions: { boost: { words: 2 }, prefix: (term) => term.length > 3, combineWith: 'OR' },
  });
  mini.addAll(skills.map((s) => ({ id: s.id, words: tokenize(s.name).join(' '), description: s.description })));
  const timed = (queries: readonly string[], search: (q: string) => unknown): number[] => {
    const times: number[] = [];
    for (let round = 0; round < 3; round++) {
      for (const q of queries) {
        const t = performance.now();
        search(q);
        if (round > 0) times.push(performance.now() - t);
      }
    }
    return times.sort((a, b) => a - b);
  };
  return (
    [
      ['intent-like', QUERIES],
      ['hard (every word common)', HARD_QUERIES],
    ] as const
  ).map(([name, queries]) => {
    const ours = timed(queries, (q) => index.search(q, 5));
    const theirs = timed(queries, (q) => mini.search(q));
    return {
      queries: name,
      p50: percentile(ours, 50),
      p95: percentile(ours, 95),
      miniP50: percentile(theirs, 50),
      miniP95: percentile(theirs, 95),
    };
  });
}

/**
 * The share of skills (of those searched) whose name or description holds each word of the hard queries, in
 * singular or plural; throws if one is not common (over 10 %), since the row would then measure something else.
 */
function commonShares(skills: readonly Skill[]): Map<string, number> {
  const words = new Set(HARD_QUERIES.flatMap((q) => tokenize(q)).map((w) => w.replace(/s$/, '')));
  const texts = skills.map((s) => embeddingText(s).toLowerCase());
  const shares = new Map(
    [...words].map((w) => [w, texts.filter((t) => new RegExp(`\\b${w}s?\\b`).test(t)).length / texts.length]),
  );
  for (const [w, share] of shares)
    if (share <= 0.1) throw new Error(`hard query word "${w}" is in only ${(share * 100).toFixed(1)} % of the skills`);
  return shares;
}

export async function run(): Promise<BenchSection> {
  const rows: Row[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'pf-bench-retrieval-'));
  let fillMs: number;
  let agreed: Agreement[];
  let shares: Map<string, number>;
  let ranking: RankingRow[];
  let scaled: ScaleRow[];
  // This table measures building the index: persisting it (and restoring it after a restart) is measured
  // at each size above, and a persisted lexical index would be restored by the second row's library.
  const build: SkillLibraryOptions = { persistIndex: false };
  const sizes = (process.env.POLICYFORGE_BENCH_RETRIEVAL_SIZES ?? '1000,10000,100000')
    .split(',')
    .map(Number)
    .filter((n) => n > 0);
  try {
    scaled = await scale(dir, sizes);
    const sqlite = await openSqliteStore(join(dir, 'skills.sqlite'));
    let t = performance.now();
    await fill(sqlite);
    fillMs = performance.now() - t;
    rows.push(await measure('SQLite', 'lexical', sqlite, undefined, QUERIES, 'lexical', build));
    rows.push(await measure('SQLite', HARD, sqlite, undefined, HARD_QUERIES, HARD, build));
    const searched = await sqlite.listSkills({ state: ['approved', 'candidate'] });
    shares = commonShares(searched);
    ranking = rankingOnly(searched);
    const hybrid256 = 'hybrid, 256-dim vectors';
    rows.push(await measure('SQLite', hybrid256, sqlite, new HashEmbeddings(256), QUERIES, hybrid256, build));
    const hard256 = 'hybrid, 256-dim vectors, hard queries';
    rows.push(await measure('SQLite', hard256, sqlite, new HashEmbeddings(256), HARD_QUERIES, hard256, build));
    const hybrid1536 = 'hybrid, 1536-dim vectors';
    rows.push(await measure('SQLite', hybrid1536, sqlite, new HashEmbeddings(1536), QUERIES, hybrid1536, build));
    agreed = await agreements(sqlite);
    await sqlite.close();

    const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const prefix = `pf-bench:retrieval:${randomUUID()}:`;
    const redis = await openRedisStore(url, { prefix });
    try {
      t = performance.now();
      await fill(redis);
      rows.push(await measure('Redis', 'lexical', redis));
      rows.push(await measure('Redis', HARD, redis, undefined, HARD_QUERIES));
      rows.push(await measure('Redis', 'hybrid, 256-dim vectors', redis, new HashEmbeddings(256)));
    } finally {
      await redis.close();
      const admin = new Redis(url);
      let cursor = '0';
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        if (keys.length) await admin.del(...keys);
        cursor = next;
      } while (cursor !== '0');
      await admin.quit();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const f = (n: number) => n.toFixed(2);
  const table = [
    '| store | ranking | first search (builds index) ms | p50 ms | p95 ms | max ms |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) => `| ${r.store} | ${r.mode} | ${r.indexMs.toFixed(0)} | ${f(r.p50)} | ${f(r.p95)} | ${f(r.max)} |`,
    ),
  ];
  const rankingTable = [
    '| queries | SkillIndex lexical ranking p50 / p95 ms | MiniSearch search of the whole query p50 / p95 ms |',
    '| --- | ---: | ---: |',
    ...ranking.map((r) => `| ${r.queries} | ${f(r.p50)} / ${f(r.p95)} | ${f(r.miniP50)} / ${f(r.miniP95)} |`),
  ];
  const agreementTable = [
    '| vectors (1536-dim) | queries | top 5 = exact top 5 | int8 alone: same top 5 | int8 alone: top-5 overlap | rows rescored exactly, mean / max | ranking p50 / p95 ms | flat float scan p50 / p95 ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...agreed.map(
      (a) =>
        `| ${a.set} | ${a.queries} | ${a.identical} / ${a.queries} | ${a.approxIdentical} / ${a.queries} | ${(a.approxOverlap * 100).toFixed(1)} % | ${a.rescoredMean.toFixed(0)} / ${a.rescoredMax} | ${f(a.fastP50)} / ${f(a.fastP95)} | ${f(a.exactP50)} / ${f(a.exactP95)} |`,
    ),
  ];
  const ms = (r: Row) => r.indexMs.toFixed(0);
  const scaleTable = [
    '| skills | fill s | lexical: first search (builds, persists) ms / p50 ms (CPU ms per search) | hybrid 1536-dim: first search (embeds every skill, builds, persists) ms / p50 ms (CPU ms per search) | hybrid ranking alone p50 ms | brute-force flat cosine scan p50 ms |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    ...scaled.map(
      (r) =>
        `| ${r.skills.toLocaleString('en')} | ${r.fillS.toFixed(1)} | ${ms(r.lexical)} / ${f(r.lexical.p50)} (${f(r.lexical.cpuPerSearchMs)}) | ${ms(r.hybrid)} / ${f(r.hybrid.p50)} (${f(r.hybrid.cpuPerSearchMs)}) | ${f(r.rankingP50)} | ${f(r.flatP50)} |`,
    ),
  ];
  const restartTable = [
    '| skills | lexical restored: first search ms (CPU ms) / p50 ms | lexical rebuilt: first search ms (CPU ms) / p50 ms | hybrid 1536-dim restored: first search ms (CPU ms) / p50 ms | hybrid 1536-dim rebuilt: first search ms (CPU ms) / p50 ms | skills embedded | snapshot MB lexical / hybrid | persisting the hybrid snapshot ms | opening the store ms |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...scaled.map(
      (r) =>
        `| ${r.skills.toLocaleString('en')} | ${[r.lexicalRestored, r.lexicalRebuilt, r.hybridRestored, r.hybridRebuilt].map((x) => `**${ms(x)}** (${x.indexCpuMs.toFixed(0)}) / ${f(x.p50)}`).join(' | ')} | ${r.embeddedOnRestart} | ${r.lexicalSnapshotMB.toFixed(1)} / ${r.hybridSnapshotMB.toFixed(1)} | ${r.persistMs.toFixed(0)} | ${r.openMs.toFixed(0)} |`,
    ),
  ];
  const indexed = 10_000;
  const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
  const floatBytes = indexed * 1536 * 4;
  const int8Bytes = indexed * (Math.ceil(1536 / 16) * 16 + 4 + 3 * 8);
  return {
    title: 'Skill retrieval over 1k, 10k and 100k skills',
    markdown: `### At 1k, 10k and 100k skills (issue 17)

The same generated skills and intent-like queries (${SEARCHES} searches, k = 5) through \`SkillLibrary.search\` on
SQLite at each size. The first search of a library builds the index (hybrid: embeds every skill first) and
persists it in the store (tables \`index_snapshots\`, \`index_parts\`). Last two columns: the hybrid ranking
alone (\`SkillIndex.search\`, no store) and the brute-force scan it must equal (\`searchExact\`: every row's
float cosine), timed interleaved. Targets: p50 under 10 ms for lexical and hybrid 1536-dim at 100k; first
search after a restart under 2 s.

${scaleTable.join('\n')}

After a restart: the store closed and reopened and a new library searching, once per column. "Restored": its
first search restores the persisted index (checked: \`indexStats.restored\` 1, nothing built); "rebuilt":
the same with \`persistIndex: false\`, so it reads every skill, tokenises it and reads its stored vector back
(checked: built 1). "Skills embedded" counts texts the two hybrid libraries sent to the embedding function
(0: none re-embedded). The file stays in the OS page cache between restarts (same process), so the figures
are a warm restart; a cold one adds reading the snapshot from disk. "Persisting": what a first search pays
once more after each revision change (a skill added or reviewed) to persist the index it built. Last column:
opening the store before the restored hybrid library (not in its first-search figure; \`openSqliteStore\`
runs SQLite's quick_check, which reads every page of the file: skills, vectors and snapshots).

${restartTable.join('\n')}

${SCALE_READING}

### At 10,000 skills (issue 5)

${SKILLS.toLocaleString('en')} generated skills (90 % approved, 10 % candidates) plus the 26 built-ins; ${SEARCHES} searches
of 10 intent-like queries, k = 5, through \`SkillLibrary.search\` (revision check + ranking + usage-count
write per search). Each description says what the skill does ("Check the latest images …") and, like real
helpers about pods, where it looks: "of each container", "in the pod", "selected by label", "within its
namespace", each clause added independently (seeded) to 45 %, 60 %, 30 % and 25 % of the skills. The
"hard queries" rows search ${HARD_QUERIES.length} queries made only of such common words (${HARD_QUERIES.map((q) => `"${q}"`).join(', ')}), the worst
case for lexical ranking: no rare word narrows the skills to score. Share of skills holding each word:
${[...shares].map(([w, share]) => `${w} ${(share * 100).toFixed(0)} %`).join(', ')}. Target (issue 5): p50 under 10 ms. Hybrid rows use an in-process hashing embedding function,
so they measure ranking over the vectors, not an embedding API round trip (a real API adds one query
embedding per distinct query; skill vectors are cached by content hash in the store).
Filling the SQLite store with ${SKILLS.toLocaleString('en')} skills (one transaction each) took ${(fillMs / 1000).toFixed(1)} s.

${table.join('\n')}

Lexical ranking alone (\`SkillIndex\`, no store, k = 5) over the same skills, beside MiniSearch's own
search of the same query (BM25+, the options \`SkillIndex\` passed it before it scored by itself):

${rankingTable.join('\n')}

Hard queries: before this change the hard rows measured p50 16.7 ms / p95 28.9 ms (SQLite, lexical),
18.6 / 31.8 ms (Redis, lexical) and 11.4 / 19.4 ms (SQLite, hybrid 256-dim), against 3.5 ms p50 for the
intent-like queries (same bench and data, load average 4.7; an engineer had seen ~137 ms on data where every
skill held every query word). The time was MiniSearch's: for each query term it builds an object per
matching skill (score, matched terms, a match record per field) and then a result object per hit, and sorts
every hit, ~1-3 µs per skill and term; its options cannot avoid it (\`combineWith: 'AND'\` intersects only
after scoring every term, and prefix expansion of these words adds little). The old fallback, keeping the two
rarest of the common words, still scored thousands of skills, and ranked ones holding those two above ones
holding every word. Now \`SkillIndex\` scores BM25+ itself from postings in typed arrays, with MiniSearch's
arithmetic (same scores, to the bit, pinned by test/skills/retrieval-lexical.test.ts), so a term costs one
tight loop over the rows holding it; and a query of common words only is the AND of all of them (the OR's
best partial matches fill up only when fewer than k skills hold them all).

How hybrid ranking stays under the target: a flat scan of the float rows in JavaScript is ~15 M multiply-adds
for 10k × 1536 (~23 ms on a quiet machine, Float32 or Float64 rows alike; an int8 scan in scalar JavaScript is
no faster). \`SkillIndex\` instead scans int8 copies of the unit rows with a WebAssembly SIMD kernel (~2 ms),
which gives every row an approximate cosine *and a proven bound on its error*; only rows whose best possible
score reaches the k-th best worst-case score are then scored exactly, from the float rows, with the flat scan's
own arithmetic. So the result is the flat scan's result, not an approximation of it; what varies with the data
is how many rows the second stage rescores (all of them, at worst, for vectors closer together than one int8
step). Memory per ${indexed.toLocaleString('en')} skills × 1536 dims: float rows ${mb(floatBytes)} MB (as before) + int8 rows and per-row norms
${mb(int8Bytes)} MB (Float64 rows instead would be ${mb(floatBytes * 2)} MB, and a micro-benchmark of their flat scan still took ~18 ms).

Agreement with the flat float scan (\`SkillIndex.searchExact\`) over the bench's ${SKILLS.toLocaleString('en')} skills plus
built-ins, approved and candidates, k = 5, lexical weight 0.5, ranking only (no store): the bench's hashing
vectors with its queries, and seeded random dense vectors (half the queries near one skill's vector), isotropic
and around 100 topics. "int8 alone" is the first stage's ranking without the exact second stage, shown
to say what the second stage buys.

${agreementTable.join('\n')}

Reading: the two-stage search brings hybrid ranking with 1536-dim vectors under the 10 ms target without
changing any result (with the flat scan this bench measured p50 23.5 ms for 1536-dim and 6.8 ms for 256-dim
vectors at load 0.7). The first stage alone would change a top 5 for a few percent of dense-vector queries
(one member or the order, "int8 alone" above); the exact second stage leaves none changed. The load average
above (2 cores shared by several agents) inflates every figure.

Command: \`npm run bench -- retrieval\`.`,
  };
}

/** What the scale table shows and why (written from the measured run; the figures above are re-measured). */
const SCALE_READING = [
  'Reading (measured 2026-12-02, load average 4.1-8.4 on 2 cores during this run, 4.4-5.7 while the 100k',
  'restart rows ran; the figures move with the load: the previous run, at 3.6-5.8, measured the 100k hybrid',
  'p50 at 10.36 ms). The restored index ranks exactly as a built one: test/skills/index-snapshot.test.ts',
  'compares skills, scores and order, lexical and hybrid, through the library and through `SkillIndex`.',
  '',
  'This round (issue 17): the built index is persisted in the store (`SkillIndex.snapshot`: ids, names,',
  'states, embedding hashes, the lexical postings, the int8 rows and their error bounds, each part with its',
  'length and CRC-32, the header CRC-checked too, stamped with the store revision, the review states, the',
  "embedding model and a fingerprint of the retrieval code). A library's first search restores it when the",
  'stamp matches and the parts check out; otherwise (another revision, model or states, damaged or missing',
  'parts) it rebuilds and persists the new index. A restored index keeps no float rows (553 MB for the 90k',
  'approved skills at 100k): its exact stage reads the few rows it rescores from the store by hash (cached,',
  '16k rows at most), and a search reads its k skills whole from the store (current usage counts; the index',
  'holds id, name and state only): restored lexical p50 0.69 ms against 0.22 rebuilt at 1k, equal at 100k.',
  "Where the restored hybrid first search's time went at 100k (CPU profile, load ~6): about half reading the",
  '170 MB of parts out of SQLite (overflow pages into fresh Buffers), a third copying the int8 rows into the',
  "kernel's WebAssembly memory, the rest CRC-32, the term map, garbage collection and the search. On this VM",
  'the first touch of fresh memory costs ~5 µs per 4 KB page (138 MB: ~0.7 s; copying the same bytes again:',
  '8 ms), so those copies are page faults rather than copying. Hence the parts are not joined after reading',
  "(the int8 rows go from the store's 16 MB chunks straight into the kernel's memory: ~1 s less in that",
  'profile), and ids, names and terms are stored one a line and hashes as bytes instead of JSON rows (~0.1 s).',
  'Before this round: first search after a restart at 100k 16.7 s (15.8 s CPU), and 129 s the round before;',
  'that round built `LexicalIndex` from flat typed arrays (no Map of rows or object per term: ~25 s of garbage',
  'collection at 100k), remembered prefix expansions per index, skipped rows by rank and score before reading',
  'their Skill, and kept vectors as float32 BLOBs read back as Float32Array views (614 MB off the heap at',
  '100k × 1536 instead of 1.2 GB of `number[]`).',
  '',
  'Goals:',
  '- Lexical p50 < 10 ms at 100k: met (1.16 ms built, 1.03 ms restored).',
  '- Hybrid 1536-dim p50 < 10 ms at 100k: not met in this run: 12.26 ms p50 through the library (13.01 ms',
  "  CPU per search), 11.51 ms restored; the ranking alone 14.46 ms beside the brute-force scan's 177 ms.",
  '  Unchanged by this round (same ranking). The exact ranking (ADR 0004) scans an int8 copy of every row,',
  '  138 MB per query for 90k approved skills; under 10 ms with margin needs a first stage that reads fewer',
  '  bytes per row with a proven bound, or skips rows (clusters with bounds). Not done here. What the int8',
  '  scan itself costs: the kernel alone over 90,000 × 1536 rows (138 MB) took 8.2-9.4 ms at best (about',
  '  16 GB/s), and over 2,000 rows (3 MB, in cache) 0.17-0.21 ms, the same rate: it is bound by its SIMD',
  "  instructions, not by memory (measured 2026-12-02 at load 6-8 by calling the module's `dot` directly).",
  '  A kernel unrolled to 64 bytes a pass gained under 10 % in cache and nothing measurable on 138 MB, so it',
  '  was not kept. That leaves under 2 ms for the rest of a search (lexical scoring, bounds, top-k, exact',
  '  rescoring); fewer bytes per row is also fewer instructions, so the way on is the one named above.',
  '- First search after a restart < 2 s at 100k: met by the search itself, not by a whole restart. With the',
  '  persisted index the first hybrid search took 1,465 ms (1,357 ms CPU) and the first lexical one 429 ms,',
  '  against 14.8 s and 5.6 s rebuilding without it; no skill re-embedded. But opening the store first took',
  "  974 ms: `openSqliteStore` runs SQLite's quick_check, which reads every page of the 1 GB file (skills,",
  '  vectors and now the snapshots, ~19 % of it), so process start to first hybrid answer is ~2.4 s here.',
  '  Next steps: a lighter check at open (header, schema and revision; the full check on demand), and reading',
  "  the int8 rows straight into the kernel's memory (a file beside the store, read with fs.readSync into it,",
  '  would save one fresh 138 MB copy).',
  '- Cost: the first search after each revision change (a skill added or reviewed) rebuilds the index, as',
  '  before (~15 s at 100k hybrid), and now also persists it: 2.1 s more at 100k, 0.4 s at 10k. Snapshots take',
  '  27 MB (lexical) and 170 MB (hybrid) of the store file at 100k, one per review-state set and model.',
].join('\n');
