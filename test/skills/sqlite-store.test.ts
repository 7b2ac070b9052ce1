import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { isPolicyforgeError } from '../../common/index.js';
import { openSkillStore, openSqliteStore } from '../../skills/index.js';
import { describeStoreContract, draft } from './store-contract.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'pf-sqlite-store-'));
const file = join(dir, 'skills.sqlite');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeStoreContract('SQLite (better-sqlite3, file in a temp dir)', {
  open: (options) => openSqliteStore(file, options),
  reset: async () => {
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  },
  corruptSkill: async (id) => {
    const db = new Database(file);
    db.prepare('UPDATE skills SET data = ? WHERE id = ?').run('{"description": "trunc', id);
    db.close();
  },
});

async function openError(path: string): Promise<unknown> {
  return openSqliteStore(path).then(
    (s) => s.close().then(() => undefined),
    (e: unknown) => e,
  );
}

describe('the SQLite store on disk', () => {
  it('creates its file (and folders) on first open', async () => {
    const path = join(dir, 'new', 'deeper', 'skills.sqlite');
    const store = await openSqliteStore(path);
    await store.close();
    expect(existsSync(path)).toBe(true);
  });

  it('refuses a file that is not a database, naming it, and leaves every byte as it was', async () => {
    const path = join(dir, 'garbage.sqlite');
    const garbage = Buffer.from("this is not a sqlite database, it is someone's notes\n".repeat(200));
    writeFileSync(path, garbage);
    const before = statSync(path).mtimeMs;
    const err = await openError(path);
    expect(isPolicyforgeError(err, 'PF_ERR_STORE_CORRUPT')).toBe(true);
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toContain('left untouched');
    expect(readFileSync(path).equals(garbage)).toBe(true);
    expect(statSync(path).mtimeMs).toBe(before);
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it("refuses another application's SQLite database instead of adding tables to it", async () => {
    const path = join(dir, 'other-app.sqlite');
    const db = new Database(path);
    db.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices (total) VALUES (9.5);');
    db.close();
    const before = readFileSync(path);
    const err = await openError(path);
    expect(isPolicyforgeError(err, 'PF_ERR_STORE_CORRUPT')).toBe(true);
    expect((err as Error).message).toContain('invoices');
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('refuses a store written by a newer schema version', async () => {
    const path = join(dir, 'future.sqlite');
    (await openSqliteStore(path)).close();
    const db = new Database(path);
    db.prepare(`UPDATE meta SET value = '99' WHERE key = 'schema'`).run();
    db.close();
    const err = await openError(path);
    expect(isPolicyforgeError(err, 'PF_ERR_STORE_CORRUPT')).toBe(true);
    expect((err as Error).message).toContain('schema version 99');
  });

  it('reports a path it cannot open as a file (a directory) as unreadable', async () => {
    const err = await openError(dir);
    expect(isPolicyforgeError(err, 'PF_ERR_STORE_CORRUPT')).toBe(true);
    expect((err as Error).message).toContain(dir);
  });

  it.skipIf(process.getuid?.() === 0)('reports a file without read permission as unreadable', async () => {
    const path = join(dir, 'locked.sqlite');
    (await openSqliteStore(path)).close();
    chmodSync(path, 0o000);
    const err = await openError(path);
    chmodSync(path, 0o600);
    expect(isPolicyforgeError(err, 'PF_ERR_STORE_CORRUPT')).toBe(true);
  });

  it('is the default store, under $POLICYFORGE_HOME', async () => {
    const home = join(dir, 'home');
    const store = await openSkillStore(undefined, { POLICYFORGE_HOME: home });
    await store.putSkill(draft('homed'));
    await store.close();
    expect(store.location).toBe(`sqlite:${join(home, 'skills.sqlite')}`);
    expect(existsSync(join(home, 'skills.sqlite'))).toBe(true);
  });

  it('separate processes writing versions of one skill at the same time lose nothing', async () => {
    const path = join(dir, 'multi-process.sqlite');
    (await openSqliteStore(path)).close();
    // Each child is a separate Node process with its own SQLite connection (the compiled store in dist/).
    const child = `
      const { openSqliteStore } = await import(${JSON.stringify(join(process.cwd(), 'dist/skills/index.js'))});
      const store = await openSqliteStore(process.argv[1]);
      const me = process.argv[2];
      for (let i = 0; i < 25; i++) {
        await store.putSkill({ name: 'shared', description: 'd', code: 'function shared() { return "' + me + '-' + i + '"; }', tests: [], provenance: { date: 'x', source: 'generated' } });
        await store.recordUsage(['shared@1'], 'retrieved');
      }
      await store.close();`;
    await Promise.all(['a', 'b', 'c', 'd'].map((me) => run('node', ['--input-type=module', '-e', child, path, me])));
    const store = await openSqliteStore(path);
    try {
      const versions = (await store.findSkillsByName('shared')).map((s) => s.version);
      expect(versions).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      // Every child counts only after its own first write, so shared@1 exists for all 100 increments.
      expect((await store.getSkill('shared@1'))!.usage.retrieved).toBe(100);
    } finally {
      await store.close();
    }
  });
});

describe('stored embeddings', () => {
  it('are kept as float32 bytes and read back as the float32 of what was put, to the bit', async () => {
    const path = join(dir, 'vectors.sqlite');
    const store = await openSqliteStore(path);
    try {
      const vector = [0.1 + 0.2, 1 / 3, -0, 1e-30, -123456.789];
      await store.putEmbeddings('m', new Map([['h', vector]]));
      const db = new Database(path, { readonly: true });
      const row = db.prepare('SELECT vector FROM vectors WHERE hash = ?').get('h') as { vector: unknown };
      db.close();
      // Bytes, not decimals to parse: reading 100,000 stored vectors back is a view on what SQLite returns.
      expect(Buffer.isBuffer(row.vector) && row.vector.length).toBe(vector.length * 4);
      const got = (await store.getEmbeddings('m', ['h'])).get('h')!;
      expect(got).toBeInstanceOf(Float32Array);
      const bits = (v: ArrayLike<number>) => Array.from(v, (x) => (Object.is(x, -0) ? '-0' : x));
      expect(bits(got)).toEqual(bits(Float32Array.from(vector)));
    } finally {
      await store.close();
    }
  });

  it('rows written by earlier versions (float64 bytes, JSON) still read', async () => {
    const path = join(dir, 'legacy-vectors.sqlite');
    const store = await openSqliteStore(path);
    try {
      const legacy = new Database(path);
      const insert = legacy.prepare('INSERT INTO embeddings (model, hash, vector) VALUES (?, ?, ?)');
      insert.run('m', 'json', JSON.stringify([0.5, 0.25]));
      insert.run('m', 'f64', Buffer.from(Float64Array.from([1 / 3, -2]).buffer));
      legacy.close();
      await store.putEmbeddings('m', new Map([['new', [1, 2]]]));
      const got = await store.getEmbeddings('m', ['json', 'f64', 'new', 'none']);
      expect([...got.keys()].sort()).toEqual(['f64', 'json', 'new']);
      expect(Array.from(got.get('json')!)).toEqual([0.5, 0.25]);
      expect(Array.from(got.get('f64')!)).toEqual([1 / 3, -2]);
      expect(Array.from(got.get('new')!)).toEqual([1, 2]);
    } finally {
      await store.close();
    }
  });

  it('a request for a whole library (one pass over the model) returns exactly the vectors asked for', async () => {
    const path = join(dir, 'many-vectors.sqlite');
    const store = await openSqliteStore(path);
    try {
      const all = new Map(Array.from({ length: 600 }, (_, i) => [`h${i}`, [i, -i, i / 7]] as [string, number[]]));
      await store.putEmbeddings('m', all);
      await store.putEmbeddings('other', new Map([['h1', [9, 9, 9]]]));
      const asked = [...all.keys()].filter((_, i) => i % 2 === 1).concat(['missing']);
      const got = await store.getEmbeddings('m', asked);
      expect([...got.keys()].sort()).toEqual(asked.filter((h) => h !== 'missing').sort());
      for (const [hash, v] of got) expect(Array.from(v)).toEqual(Array.from(Float32Array.from(all.get(hash)!)));
    } finally {
      await store.close();
    }
  });
});
