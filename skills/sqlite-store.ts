import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { PolicyforgeError, isPolicyforgeError, pfError, type ReviewState, type Skill, type StoredPolicy } from '../common/index.js';
import { codeHash } from './normalise.js';
import { applyFilter, dataOf, materialise, parseJson } from './records.js';
import { checkDraft, checkTransition } from './review.js';
import type { PutSkillResult, ReviewInput, SkillDraft, SkillFilter, SkillStore } from './types.js';

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS skills (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  code_hash TEXT NOT NULL,
  state TEXT NOT NULL,
  data TEXT NOT NULL,
  retrieved INTEGER NOT NULL DEFAULT 0,
  used INTEGER NOT NULL DEFAULT 0,
  UNIQUE (name, version)
);
CREATE INDEX IF NOT EXISTS skills_code_hash ON skills (code_hash);
CREATE INDEX IF NOT EXISTS skills_state ON skills (state);
CREATE TABLE IF NOT EXISTS policies (id TEXT PRIMARY KEY, key TEXT NOT NULL UNIQUE, state TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS embeddings (model TEXT NOT NULL, hash TEXT NOT NULL, vector TEXT NOT NULL, PRIMARY KEY (model, hash));
CREATE TABLE IF NOT EXISTS vectors (
  model TEXT NOT NULL, hash TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (model, hash)
) WITHOUT ROWID;
`;

/** From this many hashes on, getEmbeddings reads the model's vectors in one pass instead of one lookup each. */
const SCAN_FROM = 256;

interface SkillRow {
  id: string;
  name: string;
  version: number;
  state: string;
  data: string;
  retrieved: number;
  used: number;
}

export interface SqliteStoreOptions {
  /** Milliseconds a writer waits for another process's lock before failing. @defaultValue 5000 */
  busyTimeoutMs?: number;
  /** @defaultValue () => new Date() */
  now?: () => Date;
}

/**
 * The embedded skill store: one SQLite file (WAL mode, so readers never block the writer and several
 * processes can share it). Every write is one IMMEDIATE transaction, so a writer either lands completely
 * or not at all, and two processes adding versions of the same skill get consecutive versions.
 * A file that is not a policyforge store (or is damaged) fails with PF_ERR_STORE_CORRUPT and is not touched.
 */
export async function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Promise<SkillStore> {
  return new SqliteSkillStore(path, options);
}

class SqliteSkillStore implements SkillStore {
  readonly location: string;
  private readonly db: Database.Database;
  private readonly now: () => Date;

  constructor(private readonly path: string, options: SqliteStoreOptions) {
    this.location = `sqlite:${path}`;
    this.now = options.now ?? (() => new Date());
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (err) {
      throw corrupt(path, err);
    }
    let db: Database.Database;
    try {
      db = new Database(path, { fileMustExist: false, timeout: options.busyTimeoutMs ?? 5000 });
    } catch (err) {
      throw corrupt(path, err);
    }
    this.db = db;
    try {
      // Reading the header and checking the pages happens before any write, so a foreign or damaged file
      // is reported and left as it was.
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new Error(`integrity check: ${String(check)}`);
      const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{ name: string }>;
      const names = new Set(tables.map((t) => t.name));
      if (names.size > 0 && !names.has('meta')) throw new Error(`it holds tables (${[...names].join(', ')}) but is not a policyforge skill store`);
      if (names.has('meta')) {
        const row = db.prepare(`SELECT value FROM meta WHERE key = 'schema'`).get() as { value: string } | undefined;
        if (!row || Number(row.value) !== SCHEMA_VERSION) throw new Error(`schema version ${row?.value ?? 'missing'}, expected ${SCHEMA_VERSION}`);
      }
      db.pragma('journal_mode = WAL');
      // In WAL mode NORMAL still commits atomically; it only skips an fsync per transaction.
      db.pragma('synchronous = NORMAL');
      db.transaction(() => {
        db.exec(SCHEMA);
        db.prepare(`INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?), ('revision', '0')`).run(String(SCHEMA_VERSION));
      }).immediate();
    } catch (err) {
      db.close();
      throw isPolicyforgeError(err) ? err : corrupt(path, err);
    }
  }

  async ping(): Promise<void> {
    this.guard(() => this.db.prepare('SELECT 1').get());
  }

  async getSkill(id: string): Promise<Skill | undefined> {
    const row = this.guard(() => this.db.prepare('SELECT * FROM skills WHERE id = ?').get(id) as SkillRow | undefined);
    return row && this.toSkill(row);
  }

  async findSkillsByName(name: string): Promise<Skill[]> {
    const rows = this.guard(() => this.db.prepare('SELECT * FROM skills WHERE name = ? ORDER BY version').all(name) as SkillRow[]);
    return rows.map((r) => this.toSkill(r));
  }

  async listSkills(filter: SkillFilter = {}): Promise<Skill[]> {
    const rows = this.guard(() => this.db.prepare('SELECT * FROM skills ORDER BY name, version').all() as SkillRow[]);
    return applyFilter(rows.map((r) => this.toSkill(r)), filter);
  }

  async putSkill(draft: SkillDraft): Promise<PutSkillResult> {
    checkDraft(draft);
    const hash = codeHash(draft.code);
    return this.guard(() =>
      this.db
        .transaction((): PutSkillResult => {
          const dup = this.db.prepare('SELECT * FROM skills WHERE code_hash = ? ORDER BY version LIMIT 1').get(hash) as SkillRow | undefined;
          if (dup) return { skill: this.toSkill(dup), status: 'duplicate' };
          const last = this.db.prepare('SELECT MAX(version) AS v FROM skills WHERE name = ?').get(draft.name) as { v: number | null };
          const version = (last.v ?? 0) + 1;
          const skill = materialise(draft, version);
          this.db
            .prepare('INSERT INTO skills (id, name, version, code_hash, state, data, retrieved, used) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
            .run(skill.id, skill.name, version, hash, skill.state, JSON.stringify(dataOf(skill)), skill.usage.retrieved, skill.usage.used);
          this.bump();
          return { skill, status: version === 1 ? 'added' : 'new-version' };
        })
        .immediate(),
    );
  }

  async reviewSkill(id: string, review: ReviewInput): Promise<Skill> {
    return this.guard(() =>
      this.db
        .transaction((): Skill => {
          const row = this.db.prepare('SELECT * FROM skills WHERE id = ?').get(id) as SkillRow | undefined;
          if (!row) throw pfError('PF_ERR_NOT_FOUND', `skill ${id}`);
          const skill = this.toSkill(row);
          const record = checkTransition(id, skill.state, review, this.now);
          skill.state = record.state;
          skill.reviews = [...skill.reviews, record];
          this.db.prepare('UPDATE skills SET state = ?, data = ? WHERE id = ?').run(skill.state, JSON.stringify(dataOf(skill)), id);
          this.bump();
          return skill;
        })
        .immediate(),
    );
  }

  async recordUsage(ids: readonly string[], kind: 'retrieved' | 'used'): Promise<void> {
    if (!ids.length) return;
    const column = kind === 'used' ? 'used' : 'retrieved';
    const stmt = this.db.prepare(`UPDATE skills SET ${column} = ${column} + 1 WHERE id = ?`);
    this.guard(() => this.db.transaction(() => ids.forEach((id) => stmt.run(id))).immediate());
  }

  async putPolicy(policy: StoredPolicy): Promise<void> {
    this.guard(() =>
      this.db
        .transaction(() => {
          this.db.prepare('DELETE FROM policies WHERE key = ? OR id = ?').run(policy.key, policy.id);
          this.db.prepare('INSERT INTO policies (id, key, state, data) VALUES (?, ?, ?, ?)').run(policy.id, policy.key, policy.state, JSON.stringify(policy));
        })
        .immediate(),
    );
  }

  async findPolicy(key: string): Promise<StoredPolicy | undefined> {
    const row = this.guard(() => this.db.prepare('SELECT data FROM policies WHERE key = ?').get(key) as { data: string } | undefined);
    return row && parseJson<StoredPolicy>(row.data, this.path, `policy ${key}`);
  }

  async getPolicy(id: string): Promise<StoredPolicy | undefined> {
    const row = this.guard(() => this.db.prepare('SELECT data FROM policies WHERE id = ?').get(id) as { data: string } | undefined);
    return row && parseJson<StoredPolicy>(row.data, this.path, `policy ${id}`);
  }

  async reviewPolicy(id: string, review: ReviewInput): Promise<StoredPolicy> {
    return this.guard(() =>
      this.db
        .transaction((): StoredPolicy => {
          const row = this.db.prepare('SELECT data FROM policies WHERE id = ?').get(id) as { data: string } | undefined;
          if (!row) throw pfError('PF_ERR_NOT_FOUND', `stored policy ${id}`);
          const policy = parseJson<StoredPolicy>(row.data, this.path, `policy ${id}`);
          const record = checkTransition(id, policy.state, review, this.now);
          policy.state = record.state;
          policy.reviews = [...(policy.reviews ?? []), record];
          this.db.prepare('UPDATE policies SET state = ?, data = ? WHERE id = ?').run(policy.state, JSON.stringify(policy), id);
          return policy;
        })
        .immediate(),
    );
  }

  async listPolicies(): Promise<StoredPolicy[]> {
    const rows = this.guard(() => this.db.prepare('SELECT id, data FROM policies ORDER BY id').all() as Array<{ id: string; data: string }>);
    return rows.map((r) => parseJson<StoredPolicy>(r.data, this.path, `policy ${r.id}`));
  }

  /**
   * Vectors come back as Float32Array views on the bytes SQLite returns (no parsing, no copy, off the heap):
   * at 100,000 skills × 1536 dims that is 614 MB of typed arrays instead of 1.2 GB of number[] for the
   * garbage collector. Written by earlier versions (float64 bytes or JSON in `embeddings`) still read.
   */
  async getEmbeddings(model: string, hashes: readonly string[]): Promise<Map<string, ArrayLike<number>>> {
    const out = new Map<string, ArrayLike<number>>();
    if (!hashes.length) return out;
    this.guard(() => {
      if (hashes.length >= SCAN_FROM) {
        // Most of a library at once (an index build after a restart): one sequential pass over the model's
        // rows beats a B-tree lookup per hash.
        const wanted = new Set(hashes);
        const rows = this.db.prepare('SELECT hash, vector FROM vectors WHERE model = ?').iterate(model);
        for (const row of rows as Iterable<{ hash: string; vector: Buffer }>) {
          if (wanted.has(row.hash)) out.set(row.hash, float32Of(row.vector));
        }
      } else {
        const stmt = this.db.prepare('SELECT vector FROM vectors WHERE model = ? AND hash = ?');
        for (const hash of hashes) {
          const row = stmt.get(model, hash) as { vector: Buffer } | undefined;
          if (row) out.set(hash, float32Of(row.vector));
        }
      }
      if (out.size === hashes.length) return;
      const legacy = this.db.prepare('SELECT vector FROM embeddings WHERE model = ? AND hash = ?');
      for (const hash of hashes) {
        if (out.has(hash)) continue;
        const row = legacy.get(model, hash) as { vector: string | Buffer } | undefined;
        if (row) out.set(hash, typeof row.vector === 'string' ? parseJson<number[]>(row.vector, this.path, `embedding ${hash}`) : fromFloat64Bytes(row.vector));
      }
    });
    return out;
  }

  async putEmbeddings(model: string, vectors: ReadonlyMap<string, ArrayLike<number>>): Promise<void> {
    const stmt = this.db.prepare('INSERT OR REPLACE INTO vectors (model, hash, vector) VALUES (?, ?, ?)');
    // Float32 bytes: the precision embedding APIs produce (OpenAI's vectors are float32), half the bytes of
    // float64 to read back after a restart, and no decimals to parse.
    this.guard(() => this.db.transaction(() => vectors.forEach((v, hash) => {
      const bytes = Float32Array.from(v);
      stmt.run(model, hash, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    })).immediate());
  }

  async revision(): Promise<number> {
    const row = this.guard(() => this.db.prepare(`SELECT value FROM meta WHERE key = 'revision'`).get() as { value: string } | undefined);
    return Number(row?.value ?? 0);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private bump(): void {
    this.db.prepare(`UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'revision'`).run();
  }

  private toSkill(row: SkillRow): Skill {
    const data = parseJson<Omit<Skill, 'id' | 'name' | 'version' | 'state' | 'usage'>>(row.data, this.path, `skill ${row.id}`);
    return { id: row.id, name: row.name, version: row.version, ...data, state: row.state as ReviewState, usage: { retrieved: row.retrieved, used: row.used } };
  }

  /** SQLite errors past opening (a file damaged while open, a disk error) become typed errors. */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof PolicyforgeError) throw err;
      const code = (err as { code?: string }).code ?? '';
      if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') throw new PolicyforgeError('PF_ERR_STORE_UNAVAILABLE', [`${this.path} is locked by another writer: ${(err as Error).message}`], { cause: err });
      throw corrupt(this.path, err);
    }
  }
}

function corrupt(path: string, err: unknown): PolicyforgeError {
  return new PolicyforgeError('PF_ERR_STORE_CORRUPT', [path, (err as Error)?.message ?? String(err)], { cause: err });
}

/**
 * Float32 bytes as a Float32Array: a view when the Buffer is 4-byte aligned (better-sqlite3 gives each its
 * own), else a copy.
 */
function float32Of(bytes: Buffer): Float32Array {
  if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  const copy = new Float32Array(bytes.length / 4);
  new Uint8Array(copy.buffer).set(bytes);
  return copy;
}

/** A vector an earlier version stored as float64 bytes, back as numbers. */
function fromFloat64Bytes(bytes: Buffer): number[] {
  // Copied out: the Buffer may not be 8-byte aligned for a Float64Array view.
  const copy = new Float64Array(bytes.length / 8);
  new Uint8Array(copy.buffer).set(bytes);
  return Array.from(copy);
}
