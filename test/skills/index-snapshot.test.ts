import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../common/index.js';
import { openSqliteStore, SkillLibrary, type SkillLibraryOptions, type SkillStore } from '../../skills/index.js';
import {
  embeddingHash,
  embeddingText,
  SkillIndex,
  type IndexedSkill,
  type ScoredSkill,
} from '../../skills/retrieval.js';
import { gaussian, rng } from '../support/seeded-random.js';
import { draft } from './store-contract.js';

/**
 * Issue 17: the built retrieval index is persisted in the SQLite store, so a library started later (a
 * restart) restores it instead of reading, tokenising and embedding every skill again, and ranks exactly
 * as a library that built it would.
 */

const dir = mkdtempSync(join(tmpdir(), 'pf-index-snapshot-'));
let files = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DIMS = 48;
/** Words that mean the same thing share one direction, so hybrid ranking differs from lexical ranking. */
const SYNONYMS: Record<string, string> = { deny: 'forbid', block: 'forbid', disallow: 'forbid', pods: 'pod' };

/**
 * A deterministic embedding model, in process: each word (after SYNONYMS) has a seeded dense random
 * direction and a text is the sum of its words'. Counts the documents it embeds.
 */
class FakeEmbeddings implements EmbeddingsInterface {
  documents = 0;
  private readonly words = new Map<string, number[]>();
  embed(text: string): number[] {
    const v = new Array<number>(DIMS).fill(0);
    for (const raw of text.toLowerCase().match(/[a-z]+/g) ?? []) {
      const word = SYNONYMS[raw] ?? raw;
      let w = this.words.get(word);
      if (!w) {
        let seed = 2166136261;
        for (let i = 0; i < word.length; i++) seed = Math.imul(seed ^ word.charCodeAt(i), 16777619);
        const random = rng(seed);
        w = Array.from({ length: DIMS }, () => gaussian(random));
        this.words.set(word, w);
      }
      for (let i = 0; i < DIMS; i++) v[i] += w[i];
    }
    return v;
  }
  async embedDocuments(texts: string[]): Promise<number[][]> {
    this.documents += texts.length;
    return texts.map((t) => this.embed(t));
  }
  async embedQuery(text: string): Promise<number[]> {
    return this.embed(text);
  }
}

const VERBS = ['has', 'count', 'list', 'find', 'check', 'forbid'];
const ADJECTIVES = ['privileged', 'latest', 'external', 'missing', 'exposed'];
const NOUNS = ['container', 'image', 'label', 'namespace', 'ingress', 'volume', 'port'];

/** 70 skills (every 5th a candidate), names and descriptions from a small vocabulary so queries tie and compete. */
async function fill(store: SkillStore): Promise<void> {
  for (let i = 0; i < 70; i++) {
    const verb = VERBS[i % VERBS.length];
    const adjective = ADJECTIVES[Math.floor(i / VERBS.length) % ADJECTIVES.length];
    const noun = NOUNS[i % NOUNS.length];
    const name = `${verb}${cap(adjective)}${cap(noun)}${i}`;
    await store.putSkill(
      draft(name, `return ${i};`, {
        description: `${cap(verb)} the ${adjective} ${noun}s${i % 3 ? ' in the pod' : ''} of an object`,
        state: i % 5 === 0 ? 'candidate' : 'approved',
      }),
    );
  }
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

const QUERIES = [
  'block privileged containers',
  'disallow the latest image tag',
  'missing labels on pods',
  'external ingress hosts',
  'count exposed ports in the pod',
  'containers', // a prefix of many name words
  'pod object', // only common words: the AND of them
];

async function newStore(): Promise<string> {
  const path = join(dir, `snapshot-${++files}.sqlite`);
  const store = await openSqliteStore(path);
  await fill(store);
  await store.close();
  return path;
}

/** Opens the file, runs `fn` with a library on it, closes the store: one process's lifetime. */
async function withLibrary<T>(
  path: string,
  options: SkillLibraryOptions,
  fn: (library: SkillLibrary, store: SkillStore) => Promise<T>,
): Promise<T> {
  const store = await openSqliteStore(path);
  try {
    return await fn(new SkillLibrary(store, { logger: silentLogger, countRetrievals: false, ...options }), store);
  } finally {
    await store.close();
  }
}

async function rankings(library: SkillLibrary, k = 5): Promise<string[][]> {
  const out: string[][] = [];
  for (const q of QUERIES) out.push((await library.search(q, k)).map((s) => s.id));
  return out;
}

function snapshotRows(path: string): { snapshots: number; parts: number } {
  const db = new Database(path, { readonly: true });
  try {
    const count = (table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    return { snapshots: count('index_snapshots'), parts: count('index_parts') };
  } finally {
    db.close();
  }
}

describe('SkillLibrary: the retrieval index persisted in the SQLite store', () => {
  it.each(['lexical', 'hybrid'] as const)(
    '%s: a library started later restores the index and ranks as the one that built it, reading no skill list',
    async (mode) => {
      const options = (embeddings = new FakeEmbeddings()): SkillLibraryOptions =>
        mode === 'hybrid' ? { embeddings, embeddingModel: 'fake-48' } : {};
      const path = await newStore();
      const first = await withLibrary(path, options(), async (library) => {
        const ranked = await rankings(library);
        expect(library.indexStats).toEqual({ built: 1, restored: 0, rejected: 0, persisted: 1 });
        return ranked;
      });
      expect(first.every((ids) => ids.length === 5)).toBe(true);

      const embeddings = new FakeEmbeddings();
      const second = await withLibrary(path, options(embeddings), async (library, store) => {
        const listed = vi.spyOn(store, 'listSkills');
        const ranked = await rankings(library);
        expect(library.indexStats).toEqual({ built: 0, restored: 1, rejected: 0, persisted: 0 });
        expect(listed).not.toHaveBeenCalled();
        return ranked;
      });
      expect(second).toEqual(first);
      expect(embeddings.documents).toBe(0); // no skill re-embedded

      // And both equal a library that never saw a snapshot.
      const rebuilt = await withLibrary(path, { ...options(), persistIndex: false }, (library) => rankings(library));
      expect(rebuilt).toEqual(first);
    },
  );

  it('hybrid ranking differs from lexical on these queries (so the hybrid case above tests the vectors)', async () => {
    const path = await newStore();
    const lexical = await withLibrary(path, { persistIndex: false }, (library) => rankings(library));
    const hybrid = await withLibrary(
      path,
      { persistIndex: false, embeddings: new FakeEmbeddings(), embeddingModel: 'fake-48' },
      (library) => rankings(library),
    );
    expect(hybrid).not.toEqual(lexical);
  });

  it('after a skill is added or approved the old snapshot is not used: a new one is built and persisted', async () => {
    const path = await newStore();
    await withLibrary(path, {}, (library) => library.search('privileged containers'));

    await withLibrary(path, {}, async (library, store) => {
      await store.putSkill(
        draft('forbidHostNetwork', 'return 1;', { description: 'Forbid host network on pods', state: 'approved' }),
      );
      expect((await library.search('host network')).map((s) => s.id)).toEqual(['forbidHostNetwork@1']);
      expect(library.indexStats).toEqual({ built: 1, restored: 0, rejected: 0, persisted: 1 });

      // Approving a candidate moves the revision too, in this library's own lifetime.
      const candidate = 'hasPrivilegedContainer0@1';
      expect((await library.search('has privileged container')).map((s) => s.id)).not.toContain(candidate);
      await store.reviewSkill(candidate, { state: 'approved', reviewer: 'alice' });
      expect((await library.search('has privileged container')).map((s) => s.id)).toContain(candidate);
      expect(library.indexStats).toEqual({ built: 2, restored: 0, rejected: 0, persisted: 2 });
    });

    // The snapshot persisted last is the store's current one: the next start restores it.
    await withLibrary(path, {}, async (library) => {
      expect((await library.search('host network')).map((s) => s.id)).toEqual(['forbidHostNetwork@1']);
      expect((await library.search('has privileged container')).map((s) => s.id)).toContain(
        'hasPrivilegedContainer0@1',
      );
      expect(library.indexStats).toEqual({ built: 0, restored: 1, rejected: 0, persisted: 0 });
    });
  });

  it('does not restore a snapshot of another model or of other review states', async () => {
    const path = await newStore();
    await withLibrary(path, { embeddings: new FakeEmbeddings(), embeddingModel: 'fake-48' }, (library) =>
      library.search('privileged'),
    );
    await withLibrary(path, { includeCandidates: true }, (library) => library.search('privileged'));
    for (const options of [{ embeddings: new FakeEmbeddings(), embeddingModel: 'other-model' }, {}]) {
      await withLibrary(path, options, async (library) => {
        await library.search('privileged');
        expect(library.indexStats).toEqual({ built: 1, restored: 0, rejected: 0, persisted: 1 });
      });
    }
  });

  describe('a damaged snapshot is rejected, and search answers as if there had been none', () => {
    const hybrid = () => ({ embeddings: new FakeEmbeddings(), embeddingModel: 'fake-48' });
    const PARTS = [
      'ids',
      'names',
      'states',
      'hashes',
      'terms',
      'lexical.order',
      'lexical.rank',
      'lexical.offset',
      'lexical.postRows',
      'lexical.postParts',
      'lexical.holding',
      'vectors.has',
      'vectors.int8',
      'vectors.step',
      'vectors.error',
      'vectors.length',
    ];

    async function damaged(damage: (db: Database.Database) => void): Promise<void> {
      const path = await newStore();
      const before = await withLibrary(path, hybrid(), (library) => rankings(library));
      const db = new Database(path);
      try {
        damage(db);
      } finally {
        db.close();
      }
      await withLibrary(path, hybrid(), async (library) => {
        expect(await rankings(library)).toEqual(before);
        expect(library.indexStats).toEqual({ built: 1, restored: 0, rejected: 1, persisted: 1 });
      });
      // The rebuilt index replaced it: the next start restores again.
      await withLibrary(path, hybrid(), async (library) => {
        expect(await rankings(library)).toEqual(before);
        expect(library.indexStats).toEqual({ built: 0, restored: 1, rejected: 0, persisted: 0 });
      });
    }

    it.each(PARTS)('one byte flipped in part %s', async (part) => {
      await damaged((db) => {
        const row = db
          .prepare('SELECT key, seq, bytes FROM index_parts WHERE part = ? ORDER BY seq LIMIT 1')
          .get(part) as { key: string; seq: number; bytes: Buffer } | undefined;
        expect(row?.bytes.length).toBeGreaterThan(0);
        if (!row) return;
        const bytes = Buffer.from(row.bytes);
        bytes[Math.floor(bytes.length / 2)] ^= 0x5a;
        db.prepare('UPDATE index_parts SET bytes = ? WHERE key = ? AND part = ? AND seq = ?').run(
          bytes,
          row.key,
          part,
          row.seq,
        );
      });
    });

    it('a part missing', async () => {
      await damaged((db) => {
        expect(db.prepare(`DELETE FROM index_parts WHERE part = 'vectors.step'`).run().changes).toBe(1);
      });
    });

    it('the header edited (one dimension fewer)', async () => {
      await damaged((db) => {
        const row = db.prepare('SELECT key, header FROM index_snapshots').get() as { key: string; header: string };
        const edited = row.header.replace(`\\"dims\\":${DIMS}`, `\\"dims\\":${DIMS - 1}`);
        expect(edited).not.toBe(row.header);
        db.prepare('UPDATE index_snapshots SET header = ? WHERE key = ?').run(edited, row.key);
      });
    });
  });

  it('does not persist an index built on vectors the store failed to keep (a restart could not read them back)', async () => {
    const path = await newStore();
    const hybrid = { embeddings: new FakeEmbeddings(), embeddingModel: 'fake-48' };
    const before = await withLibrary(path, hybrid, async (library, store) => {
      vi.spyOn(store, 'putEmbeddings').mockRejectedValueOnce(new Error('disk full'));
      const ranked = await rankings(library);
      expect(library.indexStats).toEqual({ built: 1, restored: 0, rejected: 0, persisted: 0 });
      return ranked;
    });
    expect(snapshotRows(path).snapshots).toBe(0);
    await withLibrary(path, hybrid, async (library) => {
      expect(await rankings(library)).toEqual(before);
      expect(library.indexStats).toEqual({ built: 1, restored: 0, rejected: 0, persisted: 1 });
    });
  });

  it('persistIndex: false stores nothing and does not read a snapshot another library stored', async () => {
    const path = await newStore();
    await withLibrary(path, { persistIndex: false }, async (library) => {
      await rankings(library);
      expect(library.indexStats).toEqual({ built: 1, restored: 0, rejected: 0, persisted: 0 });
    });
    expect(snapshotRows(path)).toEqual({ snapshots: 0, parts: 0 });

    await withLibrary(path, {}, (library) => library.search('privileged'));
    expect(snapshotRows(path).snapshots).toBe(1);
    await withLibrary(path, { persistIndex: false }, async (library) => {
      await library.search('privileged');
      expect(library.indexStats).toEqual({ built: 1, restored: 0, rejected: 0, persisted: 0 });
    });
  });

  it('a restored search returns whole skills with their current usage counts, and no candidates unless asked', async () => {
    const path = await newStore();
    // Fewer approved skills than k match: a library that includes candidates fills up with them.
    const query = 'privileged containers';
    const k = 40;
    const withCandidates = await withLibrary(path, { includeCandidates: true }, (library) => library.search(query, k));
    expect(withCandidates.some((s) => s.state === 'candidate')).toBe(true);
    const approvedOnly = await withLibrary(path, {}, (library) => library.search(query, k));
    expect(approvedOnly.length).toBeGreaterThan(5);
    expect(approvedOnly.length).toBeLessThan(withCandidates.length);

    await withLibrary(path, { countRetrievals: true }, async (library, store) => {
      const first = approvedOnly[0].id;
      await store.recordUsage([first, first, first], 'used');
      await store.recordUsage([first], 'retrieved');
      const expected = await Promise.all(approvedOnly.map((s) => store.getSkill(s.id)));
      const hits = await library.search(query, k);
      expect(library.indexStats.restored).toBe(1);
      expect(hits.every((s) => s.state === 'approved')).toBe(true);
      // Whole skills (code, tests, provenance...) in the same order, as stored now: the first used 3 times.
      expect(hits).toEqual(expected);
      expect(hits[0].usage).toEqual({ retrieved: 1, used: 3 });
      expect(hits[0].code).toContain(`function ${hits[0].name}(`);
      expect(hits[0].tests).toHaveLength(1);
      // The search itself counted a retrieval for each skill it returned.
      expect((await store.getSkill(first))?.usage).toEqual({ retrieved: 2, used: 3 });
    });
  });
});

describe('SkillIndex.snapshot and SkillIndex.restore', () => {
  it('a restored index ranks exactly as the built one (same skills, scores and order), using the int8 stage', async () => {
    const path = await newStore();
    const store = await openSqliteStore(path);
    try {
      const skills = await store.listSkills({ state: ['approved', 'candidate'] });
      const embeddings = new FakeEmbeddings();
      const vectors = new Map<string, Float32Array>();
      for (const s of skills) vectors.set(s.id, Float32Array.from(embeddings.embed(embeddingText(s))));
      const stored = new Map(skills.map((s) => [embeddingHash(s), vectors.get(s.id) ?? new Float32Array()]));
      const built = new SkillIndex(skills, vectors);
      const stamp = { key: 'test', revision: 1 };
      const snapshot = built.snapshot(stamp, (s) => embeddingHash(s));
      expect(snapshot).toBeDefined();
      if (!snapshot) return;
      // As a store hands parts back: each in consecutive pieces (here every part cut in two, unevenly).
      const inPieces = {
        header: snapshot.header,
        parts: new Map(
          [...snapshot.parts].map(([name, pieces]) => {
            const bytes = Buffer.concat(pieces);
            const cut = Math.floor(bytes.length / 3);
            return [name, [bytes.subarray(0, cut), bytes.subarray(cut)]];
          }),
        ),
      };
      const view = (hits: ScoredSkill<IndexedSkill>[]) =>
        hits.map((h) => [h.skill.id, h.skill.state, h.score, h.lexical, h.semantic]);
      for (const restored of [snapshot, inPieces].map((s) => SkillIndex.restore(s, stamp, (h) => stored.get(h)))) {
        for (const q of QUERIES) {
          for (const k of [1, 5, 12]) {
            expect(view(restored.search(q, k))).toEqual(view(built.search(q, k)));
            const vector = embeddings.embed(q);
            expect(view(restored.search(q, k, vector))).toEqual(view(built.search(q, k, vector)));
            expect(restored.lastScan?.path).toBe('int8');
            expect(view(restored.search(q, k, vector, 0.2))).toEqual(view(built.search(q, k, vector, 0.2)));
          }
        }
      }
    } finally {
      await store.close();
    }
  });

  it('refuses a snapshot taken under another stamp, and an index it cannot restore exactly has none', async () => {
    const skills = [draft('a', 'return 1;'), draft('b', 'return 2;')].map((d, i) => ({
      ...d,
      id: `${d.name}@1`,
      version: 1,
      state: 'approved' as const,
      reviews: [],
      usage: { retrieved: 0, used: i },
    }));
    const lexical = new SkillIndex(skills);
    const snapshot = lexical.snapshot({ key: 'k', revision: 3 });
    expect(snapshot).toBeDefined();
    if (!snapshot) return;
    expect(() => SkillIndex.restore(snapshot, { key: 'k', revision: 4 })).toThrow(
      expect.objectContaining({ code: 'PF_ERR_STORE_CORRUPT' }),
    );
    expect(SkillIndex.restore(snapshot, { key: 'k', revision: 3 }).search('does thing', 2)).toHaveLength(2);
    // With vectors, a snapshot needs each row's embedding hash (the restored index reads those rows back).
    const withVectors = new SkillIndex(skills, new Map(skills.map((s) => [s.id, [1, 0, 0]])));
    expect(withVectors.snapshot({ key: 'k', revision: 3 })).toBeUndefined();
  });
});

describe('SQLite store: index snapshots', () => {
  it('keeps a part larger than one 16 MB chunk whole, and only for the revision it was stored at', async () => {
    const store = await openSqliteStore(join(dir, `parts-${++files}.sqlite`));
    try {
      const big = new Uint8Array(40 * 1024 * 1024 + 3);
      for (let i = 0; i < big.length; i += 4093) big[i] = i % 251;
      const revision = await store.revision();
      const put = store.putIndexSnapshot?.bind(store);
      const get = store.getIndexSnapshot?.bind(store);
      expect(put && get).toBeTruthy();
      if (!put || !get) return;
      const joined = (pieces: readonly Uint8Array[] | undefined) => Buffer.concat(pieces ?? []);
      expect(
        await put('k', revision, {
          header: '{"h":1}',
          parts: new Map([
            ['big', [big]],
            // A part given in pieces comes back as the same bytes (in the store's chunks).
            ['pieces', [Uint8Array.from([1, 2]), Uint8Array.from([3])]],
            ['empty', [new Uint8Array()]],
          ]),
        }),
      ).toBe(true);
      const back = await get('k', revision);
      expect(back?.header).toBe('{"h":1}');
      expect([...(back?.parts.keys() ?? [])].sort()).toEqual(['big', 'empty', 'pieces']);
      expect(back?.parts.get('big')?.length).toBe(3); // 16 MB, 16 MB, the rest
      expect(Buffer.compare(joined(back?.parts.get('big')), Buffer.from(big))).toBe(0);
      expect([...joined(back?.parts.get('pieces'))]).toEqual([1, 2, 3]);
      expect(joined(back?.parts.get('empty')).length).toBe(0);

      // (Headers compared, not snapshots: a failure should not print 40 MB.)
      expect((await get('k', revision + 1))?.header).toBeUndefined();
      await store.putSkill(draft('x', 'return 1;'));
      // The store's revision moved: the old snapshot is not handed out, and one for the old revision not kept.
      expect((await get('k', revision))?.header).toBeUndefined();
      expect(await put('k', revision, { header: '{}', parts: new Map() })).toBe(false);
    } finally {
      await store.close();
    }
  });
});
