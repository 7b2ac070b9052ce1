import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type TestRedis } from '../support/redis.js';
import { startApi, type ApiHarness } from './harness.js';

// Our own redis-server (never the shared one): this test stops it under a running API and starts it again.
let redis: TestRedis;
let api: ApiHarness;

beforeAll(async () => {
  redis = await startRedisServer({ persist: true });
  api = await startApi(redis.url, { intentsPerMinute: 0 });
});
afterAll(async () => {
  await api?.close();
  await redis?.close();
});

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Redis restarted under a running API', () => {
  it('answers 503 with Retry-After while Redis is down, and recovers with nothing lost when it is back', async () => {
    const before = await api.call('/v1/intents', { json: { text: 'Deny pods in the default namespace' } });
    expect(before.status).toBe(202);
    const { id } = await before.json();

    await redis.stop();
    for (const [path, init] of [
      ['/v1/intents', { json: { text: 'Require team labels' } }],
      [`/v1/intents/${id}`, {}],
      ['/v1/skills', {}],
      ['/readyz', {}],
    ] as const) {
      const started = Date.now();
      const response = await api.call(path, init);
      expect(response.status, path).toBe(503);
      expect(Date.now() - started, `${path} answered promptly`).toBeLessThan(10_000);
      const body = await response.json();
      expect(['PF_ERR_REDIS_UNAVAILABLE', 'PF_ERR_STORE_UNAVAILABLE'], path).toContain(body.error.code);
      expect(response.headers.get('retry-after'), path).toBe('5');
    }
    expect((await api.call('/healthz', { token: null })).status).toBe(200); // alive, just not ready

    await redis.restart();
    await until(async () => (await api.call('/readyz', { token: null })).status === 200, 20_000);
    const view = await api.call(`/v1/intents/${id}`);
    expect(view.status).toBe(200);
    expect((await view.json()).intent.text).toBe('Deny pods in the default namespace');
    expect((await api.call('/v1/intents', { json: { text: 'Require team labels' } })).status).toBe(202);
    expect((await api.call('/v1/skills')).status).toBe(200);
  });
});
