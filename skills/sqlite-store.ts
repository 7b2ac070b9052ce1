import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  PolicyforgeError,
  isPolicyforgeError,
  pfError,
  type ReviewState,
  type Skill,
  type StoredPolicy,
} from '../common/index.js';
import { codeHash } from './normalise.js';
import { applyFilter, dataOf, materialise, parseJson } from './records.js';
import { checkDraft, checkTransition } from './review.js';
import type { IndexSnapshot } from './retrieval.js';
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
CREATE TABLE IF NOT EXISTS index_snapshots (key TEXT PRIMARY KEY, revision INTEGER NOT NULL, header TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS index_parts (
  key TEXT NOT NULL, part TEXT NOT NULL, seq INTEGER NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (key, part, seq)
);
`;

/** Bytes per stored chunk of an index snapshot's part (SQLite's default limit on a value is 1 GB). */
const SNAPSHOT_CHUNK = 16 * 1024 * 1024;

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

  constructor(
    private readonly path: string,
    options: SqliteStoreOptions,
  ) {
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
      if (check !== 'ok') throw pfError('PF_ERR_STORE_CORRUPT', path, `integrity check: ${String(check)}`);
      const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{ name: string }>;
      const names = new Set(tables.map((t) => t.name));
      if (names.size > 0 && !names.has('meta'))
        throw pfError(
          'PF_ERR_STORE_CORRUPT',
          path,
          `it holds tables (${[...names].join(', ')}) but is not a policyforge skill store`,
        );
      if (names.has('meta')) {
        const row = db.prepare(`SELECT value FROM meta WHERE key = 'schema'`).get() as { value: string } | undefined;
        if (!row || Number(row.value) !== SCHEMA_VERSION)
          throw pfError(
            'PF_ERR_STORE_CORRUPT',
            path,
            `schema version ${row?.value ?? 'missing'}, expected ${SCHEMA_VERSION}`,
          );
      }
      db.pragma('journal_mode = WAL');
      // In WAL mode NORMAL still commits atomically; it only skips an fsync per transaction.
      db.pragma('synchronous = NORMAL');
      db.transaction(() => {
        db.exec(SCHEMA);
        db.prepare(`INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?), ('revision', '0')`).run(
          String(SCHEMA_VERSION),
        );
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
    const rows = this.guard(
      () => this.db.prepare('SELECT * FROM skills WHERE name = ? ORDER BY version').all(name) as SkillRow[],
    );
    return rows.map((r) => this.toSkill(r));
  }

  async listSkills(filter: SkillFilter = {}): Promise<Skill[]> {
    const rows = this.guard(() => this.db.prepare('SELECT * FROM skills ORDER BY name, version').all() as SkillRow[]);
    return applyFilter(
      rows.map((r) => this.toSkill(r)),
      filter,
    );
  }

  async putSkill(draft: SkillDraft): Promise<PutSkillResult> {
    checkDraft(draft);
    const hash = codeHash(draft.code);
    return this.guard(() =>
      this.db
        .transaction((): PutSkillResult => {
          const dup = this.db.prepare('SELECT * FROM skills WHERE code_hash = ? ORDER BY version LIMIT 1').get(hash) as
            SkillRow | undefined;
          if (dup) return { skill: this.toSkill(dup), status: 'duplicate' };
          const last = this.db.prepare('SELECT MAX(version) AS v FROM skills WHERE name = ?').get(draft.name) as {
            v: number | null;
          };
          const version = (last.v ?? 0) + 1;
          const skill = materialise(draft, version);
          this.db
            .prepare(
              'INSERT INTO skills (id, name, version, code_hash, state, data, retrieved, used) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
            )
            .run(
              skill.id,
              skill.name,
              version,
              hash,
              skill.state,
              JSON.stringify(dataOf(skill)),
              skill.usage.retrieved,
              skill.usage.used,
            );
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
          this.db
            .prepare('UPDATE skills SET state = ?, data = ? WHERE id = ?')
            .run(skill.state, JSON.stringify(dataOf(skill)), id);
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
          this.db
            .prepare('INSERT INTO policies (id, key, state, data) VALUES (?, ?, ?, ?)')
            .run(policy.id, policy.key, policy.state, JSON.stringify(policy));
        })
        .immediate(),
    );
  }

  async findPolicy(key: string): Promise<StoredPolicy | undefined> {
    const row = this.guard(
      () => this.db.prepare('SELECT data FROM policies WHERE key = ?').get(key) as { data: string } | undefined,
    );
    return row && parseJson<StoredPolicy>(row.data, this.path, `policy ${key}`);
  }

  async getPolicy(id: string): Promise<StoredPolicy | undefined> {
    const row = this.guard(
      () => this.db.prepare('SELECT data FROM policies WHERE id = ?').get(id) as { data: string } | undefined,
    );
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
          this.db
            .prepare('UPDATE policies SET state = ?, data = ? WHERE id = ?')
            .run(policy.state, JSON.stringify(policy), id);
          return policy;
        })
        .immediate(),
    );
  }

  async listPolicies(): Promise<StoredPolicy[]> {
    const rows = this.guard(
      () => this.db.prepare('SELECT id, data FROM policies ORDER BY id').all() as Array<{ id: string; data: string }>,
    );
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
      for (const hash of hashes) {
        if (out.has(hash)) continue;
        const vector = this.legacyVector(model, hash);
        if (vector) out.set(hash, vector);
      }
    });
    return out;
  }

  async putEmbeddings(model: string, vectors: ReadonlyMap<string, ArrayLike<number>>): Promise<void> {
    const stmt = this.db.prepare('INSERT OR REPLACE INTO vectors (model, hash, vector) VALUES (?, ?, ?)');
    // Float32 bytes: the precision embedding APIs produce (OpenAI's vectors are float32), half the bytes of
    // float64 to read back after a restart, and no decimals to parse.
    this.guard(() =>
      this.db
        .transaction(() =>
          vectors.forEach((v, hash) => {
            const bytes = Float32Array.from(v);
            stmt.run(model, hash, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
          }),
        )
        .immediate(),
    );
  }

  /**
   * The persisted retrieval index, read only when its revision is the store's (checked again by the
   * index against its stamp and CRCs). Tables `index_snapshots` (header) and `index_parts` (each part in
   * chunks of 16 MB) were added beside the others: an older file gains them on open, an older version
   * ignores them.
   */
  async getIndexSnapshot(key: string, revision: number): Promise<IndexSnapshot | undefined> {
    return this.guard(() =>
      this.db
        .transaction((): IndexSnapshot | undefined => {
          const head = this.db.prepare('SELECT revision, header FROM index_snapshots WHERE key = ?').get(key) as
            { revision: number; header: string } | undefined;
          if (!head || head.revision !== revision || Number(this.readRevision()) !== revision) return undefined;
          const chunks = new Map<string, Buffer[]>();
          const rows = this.db
            .prepare('SELECT part, bytes FROM index_parts WHERE key = ? ORDER BY part, seq')
            .iterate(key);
          for (const row of rows as Iterable<{ part: string; bytes: Buffer }>) {
            const list = chunks.get(row.part) ?? [];
            list.push(row.bytes);
            chunks.set(row.part, list);
          }
          // The chunks are handed over as they are, not joined: a copy of the 154 MB of int8 rows at 100k
          // skills costs more than reading them (SkillIndex.restore copies them once, into the kernel's memory).
          return { header: head.header, parts: chunks };
        })
        .deferred(),
    );
  }

  async putIndexSnapshot(key: string, revision: number, snapshot: IndexSnapshot): Promise<boolean> {
    return this.guard(() =>
      this.db
        .transaction((): boolean => {
          if (this.readRevision() !== revision) return false;
          this.db.prepare('DELETE FROM index_parts WHERE key = ?').run(key);
          const insert = this.db.prepare('INSERT INTO index_parts (key, part, seq, bytes) VALUES (?, ?, ?, ?)');
          for (const [part, pieces] of snapshot.parts) {
            let seq = 0;
            for (const piece of pieces) {
              const buffer = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
              for (let at = 0; at < buffer.length; at += SNAPSHOT_CHUNK)
                insert.run(key, part, seq++, buffer.subarray(at, at + SNAPSHOT_CHUNK));
            }
            if (seq === 0) insert.run(key, part, 0, Buffer.alloc(0)); // an empty part is still there
          }
          this.db
            .prepare('INSERT OR REPLACE INTO index_snapshots (key, revision, header) VALUES (?, ?, ?)')
            .run(key, revision, snapshot.header);
          return true;
        })
        .immediate(),
    );
  }

  vectorReader(model: string): (hash: string) => ArrayLike<number> | undefined {
    const stmt = this.db.prepare('SELECT vector FROM vectors WHERE model = ? AND hash = ?');
    return (hash) =>
      this.guard(() => {
        const row = stmt.get(model, hash) as { vector: Buffer } | undefined;
        if (row) return float32Of(row.vector);
        return this.legacyVector(model, hash);
      });
  }

  async revision(): Promise<number> {
    const row = this.guard(
      () => this.db.prepare(`SELECT value FROM meta WHERE key = 'revision'`).get() as { value: string } | undefined,
    );
    return Number(row?.value ?? 0);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  /** A vector an earlier version stored in `embeddings` (JSON or float64 bytes). */
  private legacyVector(model: string, hash: string): number[] | undefined {
    const row = this.db.prepare('SELECT vector FROM embeddings WHERE model = ? AND hash = ?').get(model, hash) as
      { vector: string | Buffer } | undefined;
    if (!row) return undefined;
    return typeof row.vector === 'string'
      ? parseJson<number[]>(row.vector, this.path, `embedding ${hash}`)
      : fromFloat64Bytes(row.vector);
  }

  private readRevision(): number {
    const row = this.db.prepare(`SELECT value FROM meta WHERE key = 'revision'`).get() as { value: string } | undefined;
    return Number(row?.value ?? 0);
  }

  private bump(): void {
    this.db.prepare(`UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'revision'`).run();
  }

  private toSkill(row: SkillRow): Skill {
    const data = parseJson<Omit<Skill, 'id' | 'name' | 'version' | 'state' | 'usage'>>(
      row.data,
      this.path,
      `skill ${row.id}`,
    );
    return {
      id: row.id,
      name: row.name,
      version: row.version,
      ...data,
      state: row.state as ReviewState,
      usage: { retrieved: row.retrieved, used: row.used },
    };
  }

  /** SQLite errors past opening (a file damaged while open, a disk error) become typed errors. */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof PolicyforgeError) throw err;
      const code = (err as { code?: string }).code ?? '';
      if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED')
        throw new PolicyforgeError(
          'PF_ERR_STORE_UNAVAILABLE',
          [`${this.path} is locked by another writer: ${(err as Error).message}`],
          { cause: err },
        );
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
