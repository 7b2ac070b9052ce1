import { Redis, type RedisOptions } from 'ioredis';
import {
  PolicyforgeError,
  pfError,
  type Review,
  type ReviewState,
  type Skill,
  type StoredPolicy,
} from '../common/index.js';
import { codeHash } from './normalise.js';
import { checkDraft, checkTransition } from './review.js';
import { applyFilter, dataOf, materialise, parseJson } from './records.js';
import type { PutSkillResult, ReviewInput, SkillDraft, SkillFilter, SkillStore } from './types.js';

const SCHEMA_VERSION = '1';

/**
 * Adds a skill atomically: skip when the normalised code is known, else take the next version of the name.
 * KEYS: meta, code-hash index, versions of the name, skill ids. ARGV: prefix, name, hash, state, data,
 * retrieved, used, reviews… (JSON strings). Returns {status, id}: 0 duplicate, 1 added, 2 new version.
 */
const PUT_SKILL = `
local existing = redis.call('HGET', KEYS[2], ARGV[3])
if existing then return {0, existing} end
local last = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')
local version = 1
if #last > 0 then version = tonumber(last[2]) + 1 end
local id = ARGV[2] .. '@' .. version
local key = ARGV[1] .. 'skill:' .. id
redis.call('HSET', key, 'name', ARGV[2], 'version', version, 'codeHash', ARGV[3], 'state', ARGV[4], 'data', ARGV[5], 'retrieved', ARGV[6], 'used', ARGV[7])
for i = 8, #ARGV do redis.call('RPUSH', key .. ':reviews', ARGV[i]) end
redis.call('ZADD', KEYS[3], version, id)
redis.call('HSET', KEYS[2], ARGV[3], id)
redis.call('SADD', KEYS[4], id)
redis.call('HINCRBY', KEYS[1], 'revision', 1)
if version == 1 then return {1, id} end
return {2, id}
`;

/**
 * Moves a skill to a new state when its current state is still the one the caller checked.
 * KEYS: skill hash, its reviews list, meta. ARGV: expected state, new state, review JSON.
 * Returns 1 on success, 0 when the state changed meanwhile (the caller re-reads and re-checks), -1 when gone.
 */
const REVIEW_SKILL = `
local current = redis.call('HGET', KEYS[1], 'state')
if not current then return -1 end
if current ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[2])
redis.call('RPUSH', KEYS[2], ARGV[3])
redis.call('HINCRBY', KEYS[3], 'revision', 1)
return 1
`;

/** Same for stored policies, whose whole JSON is replaced: ARGV: expected JSON, new JSON. */
const REPLACE_IF_UNCHANGED = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return -1 end
if current ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
`;

/**
 * Stores a policy by key, dropping the stale index entries when the key or the id was used before.
 * KEYS: key→JSON hash, id→key hash, key→id hash. ARGV: key, id, JSON.
 */
const PUT_POLICY = `
local oldKey = redis.call('HGET', KEYS[2], ARGV[2])
if oldKey and oldKey ~= ARGV[1] then
  redis.call('HDEL', KEYS[1], oldKey)
  redis.call('HDEL', KEYS[3], oldKey)
end
local oldId = redis.call('HGET', KEYS[3], ARGV[1])
if oldId and oldId ~= ARGV[2] then redis.call('HDEL', KEYS[2], oldId) end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
return 1
`;

/** KEYS: skill hashes; ARGV: the counter (retrieved | used). */
const RECORD_USAGE = `
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('HINCRBY', KEYS[i], ARGV[1], 1) end
end
return #KEYS
`;

export interface RedisStoreOptions {
  /** Prefix of every key, so several libraries (and tests) share one Redis. @defaultValue 'policyforge:skills:' */
  prefix?: string;
  /** @defaultValue () => new Date() */
  now?: () => Date;
}

/**
 * The shared skill store for many workers. Adding a skill and reviewing one are Lua scripts (atomic on the
 * server), so concurrent writers on any number of machines never lose or duplicate a version.
 * Given a URL it opens (and on close, quits) its own connection; given a client it borrows it.
 */
export async function openRedisStore(
  urlOrClient: string | Redis,
  options: RedisStoreOptions = {},
): Promise<SkillStore> {
  const owned = typeof urlOrClient === 'string';
  const client = owned
    ? new Redis(urlOrClient, {
        lazyConnect: true,
        maxRetriesPerRequest: 1,
        enableOfflineQueue: true,
        retryStrategy: () => null,
      } satisfies RedisOptions)
    : urlOrClient;
  if (owned) {
    client.on('error', () => undefined); // surfaced by the command that failed
    try {
      await client.connect();
    } catch (err) {
      client.disconnect();
      throw new PolicyforgeError(
        'PF_ERR_STORE_UNAVAILABLE',
        [`Redis at ${redactUrl(urlOrClient)}: ${(err as Error).message}`],
        { cause: err },
      );
    }
  }
  const store = new RedisSkillStore(client, owned, options);
  try {
    await store.init();
  } catch (err) {
    if (owned) client.disconnect();
    throw err;
  }
  return store;
}

class RedisSkillStore implements SkillStore {
  readonly location: string;
  private readonly prefix: string;
  private readonly now: () => Date;

  constructor(
    private readonly redis: Redis,
    private readonly owned: boolean,
    options: RedisStoreOptions,
  ) {
    this.prefix = options.prefix ?? 'policyforge:skills:';
    this.location = `redis:${this.prefix}`;
    this.now = options.now ?? (() => new Date());
  }

  private k(...parts: string[]): string {
    return this.prefix + parts.join(':');
  }

  async init(): Promise<void> {
    const meta = this.k('meta');
    const schema = await this.cmd(async () => {
      const type = await this.redis.type(meta);
      if (type !== 'none' && type !== 'hash')
        throw pfError('PF_ERR_STORE_CORRUPT', `${this.location} (key ${meta})`, `expected a hash, found a ${type}`);
      await this.redis.hsetnx(meta, 'schema', SCHEMA_VERSION);
      return this.redis.hget(meta, 'schema');
    });
    if (schema !== SCHEMA_VERSION)
      throw pfError(
        'PF_ERR_STORE_CORRUPT',
        `${this.location} (key ${meta})`,
        `schema version ${schema}, expected ${SCHEMA_VERSION}`,
      );
  }

  async ping(): Promise<void> {
    await this.cmd(() => this.redis.ping());
  }

  async getSkill(id: string): Promise<Skill | undefined> {
    const [skill] = await this.readSkills([id]);
    return skill;
  }

  async findSkillsByName(name: string): Promise<Skill[]> {
    const ids = await this.cmd(() => this.redis.zrange(this.k('versions', name), 0, -1));
    return (await this.readSkills(ids)).filter((s): s is Skill => s !== undefined);
  }

  async listSkills(filter: SkillFilter = {}): Promise<Skill[]> {
    const ids = await this.cmd(() => this.redis.smembers(this.k('skills')));
    const skills = (await this.readSkills(ids)).filter((s): s is Skill => s !== undefined);
    skills.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version - b.version));
    return applyFilter(skills, filter);
  }

  async putSkill(draft: SkillDraft): Promise<PutSkillResult> {
    checkDraft(draft);
    const hash = codeHash(draft.code);
    const template = materialise(draft, 0);
    const reply = (await this.cmd(() =>
      this.redis.eval(
        PUT_SKILL,
        4,
        this.k('meta'),
        this.k('code'),
        this.k('versions', draft.name),
        this.k('skills'),
        this.prefix,
        draft.name,
        hash,
        template.state,
        JSON.stringify(dataOf({ ...template, reviews: [] })),
        String(template.usage.retrieved),
        String(template.usage.used),
        ...template.reviews.map((r) => JSON.stringify(r)),
      ),
    )) as [number, string];
    const skill = await this.getSkill(reply[1]);
    if (!skill) throw pfError('PF_ERR_STORE_CORRUPT', this.location, `skill ${reply[1]} is indexed but missing`);
    return { skill, status: reply[0] === 0 ? 'duplicate' : reply[0] === 1 ? 'added' : 'new-version' };
  }

  async reviewSkill(id: string, review: ReviewInput): Promise<Skill> {
    for (;;) {
      const skill = await this.getSkill(id);
      if (!skill) throw pfError('PF_ERR_NOT_FOUND', `skill ${id}`);
      const record = checkTransition(id, skill.state, review, this.now);
      const key = this.k('skill', id);
      const ok = await this.cmd(() =>
        this.redis.eval(
          REVIEW_SKILL,
          3,
          key,
          `${key}:reviews`,
          this.k('meta'),
          skill.state,
          record.state,
          JSON.stringify(record),
        ),
      );
      if (ok === 1) return { ...skill, state: record.state, reviews: [...skill.reviews, record] };
      if (ok === -1) throw pfError('PF_ERR_NOT_FOUND', `skill ${id}`);
      // Another reviewer changed the state between our read and the script: check the transition again.
    }
  }

  async recordUsage(ids: readonly string[], kind: 'retrieved' | 'used'): Promise<void> {
    if (!ids.length) return;
    // One script for all ids (one round trip); only existing skills are counted: HINCRBY on a missing key
    // would create a half skill.
    const keys = ids.map((id) => this.k('skill', id));
    await this.cmd(() => this.redis.eval(RECORD_USAGE, keys.length, ...keys, kind));
  }

  async putPolicy(policy: StoredPolicy): Promise<void> {
    await this.cmd(() =>
      this.redis.eval(
        PUT_POLICY,
        3,
        this.k('policies'),
        this.k('policy-ids'),
        this.k('policy-keys'),
        policy.key,
        policy.id,
        JSON.stringify(policy),
      ),
    );
  }

  async findPolicy(key: string): Promise<StoredPolicy | undefined> {
    const json = await this.cmd(() => this.redis.hget(this.k('policies'), key));
    return json ? parseJson<StoredPolicy>(json, this.location, `policy ${key}`) : undefined;
  }

  async getPolicy(id: string): Promise<StoredPolicy | undefined> {
    const key = await this.cmd(() => this.redis.hget(this.k('policy-ids'), id));
    return key ? this.findPolicy(key) : undefined;
  }

  async reviewPolicy(id: string, review: ReviewInput): Promise<StoredPolicy> {
    for (;;) {
      const key = await this.cmd(() => this.redis.hget(this.k('policy-ids'), id));
      const before = key ? await this.cmd(() => this.redis.hget(this.k('policies'), key)) : null;
      if (!key || !before) throw pfError('PF_ERR_NOT_FOUND', `stored policy ${id}`);
      const policy = parseJson<StoredPolicy>(before, this.location, `policy ${id}`);
      const record = checkTransition(id, policy.state, review, this.now);
      const after: StoredPolicy = { ...policy, state: record.state, reviews: [...(policy.reviews ?? []), record] };
      const ok = await this.cmd(() =>
        this.redis.eval(REPLACE_IF_UNCHANGED, 1, this.k('policies'), key, before, JSON.stringify(after)),
      );
      if (ok === 1) return after;
      if (ok === -1) throw pfError('PF_ERR_NOT_FOUND', `stored policy ${id}`);
    }
  }

  async listPolicies(): Promise<StoredPolicy[]> {
    const all = await this.cmd(() => this.redis.hgetall(this.k('policies')));
    return Object.entries(all)
      .map(([key, json]) => parseJson<StoredPolicy>(json, this.location, `policy ${key}`))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async getEmbeddings(model: string, hashes: readonly string[]): Promise<Map<string, ArrayLike<number>>> {
    const out = new Map<string, ArrayLike<number>>();
    if (!hashes.length) return out;
    const values = await this.cmd(() => this.redis.hmget(this.k('embeddings', model), ...hashes));
    hashes.forEach((h, i) => {
      const v = values[i];
      if (v) out.set(h, parseJson<number[]>(v, this.location, `embedding ${h}`));
    });
    return out;
  }

  async putEmbeddings(model: string, vectors: ReadonlyMap<string, ArrayLike<number>>): Promise<void> {
    if (!vectors.size) return;
    const flat: string[] = [];
    vectors.forEach((v, h) => flat.push(h, JSON.stringify(Array.from(v))));
    await this.cmd(() => this.redis.hset(this.k('embeddings', model), ...flat));
  }

  async revision(): Promise<number> {
    return Number((await this.cmd(() => this.redis.hget(this.k('meta'), 'revision'))) ?? 0);
  }

  async close(): Promise<void> {
    if (this.owned && this.redis.status !== 'end') await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private async readSkills(ids: readonly string[]): Promise<Array<Skill | undefined>> {
    if (!ids.length) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) {
      pipeline.hgetall(this.k('skill', id));
      pipeline.lrange(this.k('skill', id, 'reviews'), 0, -1);
    }
    const replies = (await this.cmd(() => pipeline.exec())) ?? [];
    return ids.map((id, i) => {
      const [hErr, hash] = replies[2 * i] ?? [];
      const [lErr, reviews] = replies[2 * i + 1] ?? [];
      const err = hErr ?? lErr;
      if (err) throw pfError('PF_ERR_STORE_CORRUPT', `${this.location} (skill ${id})`, err.message);
      const h = hash as Record<string, string>;
      if (!h || Object.keys(h).length === 0) return undefined;
      if (!h.name || !h.version || !h.state || !h.data)
        throw pfError(
          'PF_ERR_STORE_CORRUPT',
          `${this.location} (key ${this.k('skill', id)})`,
          'a skill hash lacks name, version, state or data',
        );
      const data = parseJson<ReturnType<typeof dataOf>>(
        h.data,
        `${this.location} (key ${this.k('skill', id)})`,
        `skill ${id}`,
      );
      return {
        id,
        name: h.name,
        version: Number(h.version),
        ...data,
        reviews: (reviews as string[]).map((r) => parseJson<Review>(r, this.location, `review of ${id}`)),
        state: h.state as ReviewState,
        usage: { retrieved: Number(h.retrieved ?? 0), used: Number(h.used ?? 0) },
      } satisfies Skill;
    });
  }

  /** Redis failures become typed errors: a wrong key type means someone else's data (corrupt), the rest unavailable. */
  private async cmd<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof PolicyforgeError) throw err;
      const message = (err as Error).message ?? String(err);
      if (message.includes('WRONGTYPE'))
        throw new PolicyforgeError('PF_ERR_STORE_CORRUPT', [this.location, message], { cause: err });
      throw new PolicyforgeError('PF_ERR_STORE_UNAVAILABLE', [`${this.location}: ${message}`], { cause: err });
    }
  }
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//[redacted]@');
}
