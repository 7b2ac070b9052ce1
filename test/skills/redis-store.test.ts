import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPolicyforgeError } from '../../common/index.js';
import { openRedisStore, openSkillStore, parseStoreSpec } from '../../skills/index.js';
import { describeStoreContract, draft } from './store-contract.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
// One prefix per test run, so runs (and CI jobs) sharing a server never see each other's keys.
const runPrefix = `pf-test:skills:${randomUUID()}:`;
let admin: Redis;
let generation = 0;
const prefix = (): string => `${runPrefix}${generation}:`;

async function deleteKeys(match: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${match}*`, 'COUNT', 500);
    if (keys.length) await admin.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

beforeAll(async () => {
  admin = new Redis(url, { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  await deleteKeys(runPrefix);
  expect(await admin.keys(`${runPrefix}*`)).toEqual([]);
  await admin.quit();
});

describeStoreContract('Redis (ioredis, real server, unique key prefix)', {
  open: (options) => openRedisStore(url, { prefix: prefix(), now: options?.now }),
  reset: async () => {
    generation++;
  },
  corruptSkill: async (id) => {
    await admin.hset(`${prefix()}skill:${id}`, 'data', '{"description": "trunc');
  },
});

describe('the Redis store', () => {
  it('refuses a prefix whose keys hold something else, naming the key, and writes nothing', async () => {
    const p = `${runPrefix}foreign:`;
    await admin.set(`${p}meta`, 'not a hash');
    const err = await openRedisStore(url, { prefix: p }).then(
      (s) => s.close(),
      (e: unknown) => e,
    );
    expect(isPolicyforgeError(err, 'PF_ERR_STORE_CORRUPT')).toBe(true);
    expect((err as Error).message).toContain(`${p}meta`);
    expect(await admin.get(`${p}meta`)).toBe('not a hash');
    expect(await admin.keys(`${p}*`)).toEqual([`${p}meta`]);
  });

  it('refuses a store written by another schema version', async () => {
    const p = `${runPrefix}future:`;
    await admin.hset(`${p}meta`, 'schema', '99');
    const err = await openRedisStore(url, { prefix: p }).then(
      (s) => s.close(),
      (e: unknown) => e,
    );
    expect(isPolicyforgeError(err, 'PF_ERR_STORE_CORRUPT')).toBe(true);
    expect(await admin.hget(`${p}meta`, 'schema')).toBe('99');
  });

  it('reports an unreachable server as unavailable (retryable), not corrupt', async () => {
    const err = await openRedisStore('redis://127.0.0.1:1', { prefix: `${runPrefix}down:` }).then(
      (s) => s.close(),
      (e: unknown) => e,
    );
    expect(isPolicyforgeError(err, 'PF_ERR_STORE_UNAVAILABLE')).toBe(true);
    expect((err as { retryable: boolean }).retryable).toBe(true);
  });

  it('borrows a given client without closing it, and opens from a redis:// spec', async () => {
    const client = new Redis(url);
    const store = await openSkillStore({ type: 'redis', client, prefix: `${runPrefix}borrowed:` });
    await store.putSkill(draft('borrowed'));
    await store.close();
    expect(await client.ping()).toBe('PONG');
    await client.quit();
    expect(parseStoreSpec(url)).toEqual({ type: 'redis', url });
    const byUrl = await openSkillStore({
      ...(parseStoreSpec(url) as { type: 'redis'; url: string }),
      prefix: `${runPrefix}by-url:`,
    });
    expect(byUrl.location).toBe(`redis:${runPrefix}by-url:`);
    await byUrl.close();
  });
});
