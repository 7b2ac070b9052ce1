import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPolicyforgeError, type Intent } from '../../common/index.js';
import { createGenerationQueue, type EnqueueResult, type GenerationQueue } from '../../worker/index.js';
import { startRedisServer, type TestRedis } from '../support/redis.js';

// A private Redis: these tests pause it (CLIENT PAUSE), which must never touch the shared server.
let redis: TestRedis;
let admin: Redis;

beforeAll(async () => {
  redis = await startRedisServer();
  admin = new Redis(redis.url);
});
afterAll(async () => {
  admin?.disconnect();
  await redis?.close();
});

const intent = (text: string): Intent => ({ text });

function queueFor(prefix: string, options: { idempotencyClaimTtlSeconds?: number } = {}): GenerationQueue {
  return createGenerationQueue({ connection: redis.url, prefix, redisTimeoutMs: 200, ...options });
}

/** What a client does: retry on 503 (PF_ERR_REDIS_UNAVAILABLE) with the same key, stop at any other answer. */
async function withRetries(call: () => Promise<EnqueueResult>, tries = 20): Promise<EnqueueResult | { code: string }> {
  for (let i = 0; ; i++) {
    try {
      return await call();
    } catch (err) {
      if (!isPolicyforgeError(err)) throw err;
      if (err.code !== 'PF_ERR_REDIS_UNAVAILABLE' || i >= tries) return { code: err.code };
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe('Idempotency-Key: claim and enqueue act as one step (real Redis)', () => {
  it('enqueues every intent whose first request timed out in a Redis stall, once each, when the client retries with the same key', async () => {
    const queue = queueFor('pf-idem-stall');
    try {
      await queue.ping();
      const texts = Array.from({ length: 12 }, (_, n) => `Deny pods without an owner label, variant ${n}`);
      // Redis stops answering (a fork or fsync stall) but keeps every command it was sent and runs it later
      await admin.call('CLIENT', 'PAUSE', '1500', 'ALL');
      const first = await Promise.allSettled(
        texts.map((t, n) => queue.enqueue({ v: 1, intent: intent(t) }, { idempotencyKey: `stall-${n}` })),
      );
      expect(first.map((r) => (r.status === 'rejected' ? (r.reason as { code?: string }).code : 'fulfilled'))).toEqual(
        texts.map(() => 'PF_ERR_REDIS_UNAVAILABLE'),
      );

      const retried = await Promise.all(
        texts.map((t, n) =>
          withRetries(() => queue.enqueue({ v: 1, intent: intent(t) }, { idempotencyKey: `stall-${n}` })),
        ),
      );
      expect(retried.filter((r) => 'code' in r)).toEqual([]);
      const ids = retried.map((r) => (r as EnqueueResult).id);
      expect(new Set(ids).size).toBe(texts.length);
      const counts = await queue.counts();
      expect(counts.waiting + counts.prioritized + counts.delayed).toBe(texts.length);
      // and the key now answers its job again
      const replay = await queue.enqueue({ v: 1, intent: intent(texts[0]) }, { idempotencyKey: 'stall-0' });
      expect(replay).toEqual({ id: ids[0], deduplicated: true, replayed: true });
    } finally {
      await queue.queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
    }
  });

  it('answers concurrent requests with the same key and body with one job, none of them refused', async () => {
    const queue = queueFor('pf-idem-concurrent');
    try {
      const answers = await Promise.all(
        Array.from({ length: 6 }, () =>
          queue.enqueue(
            { v: 1, intent: intent('Require resource limits on every container') },
            { idempotencyKey: 'same-key' },
          ),
        ),
      );
      expect(new Set(answers.map((a) => a.id)).size).toBe(1);
      expect((await queue.counts()).waiting).toBe(1);
    } finally {
      await queue.queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
    }
  });

  it('forgets a claim whose job never came after the claim TTL, so the key may be used again', async () => {
    const queue = queueFor('pf-idem-claim-ttl', { idempotencyClaimTtlSeconds: 1 });
    try {
      // the claim lands in Redis after the request gave up, and nothing follows it (the API process died)
      await admin.call('CLIENT', 'PAUSE', '600', 'WRITE');
      await expect(
        queue.enqueue({ v: 1, intent: intent('Deny hostNetwork pods') }, { idempotencyKey: 'crashed' }),
      ).rejects.toMatchObject({ code: 'PF_ERR_REDIS_UNAVAILABLE' });
      await new Promise((r) => setTimeout(r, 700));
      const ttl = await admin.ttl('pf-idem-claim-ttl:policyforge-generation:idempotency:crashed');
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(1);
      await new Promise((r) => setTimeout(r, 1200));
      const other = await queue.enqueue(
        { v: 1, intent: intent('A different body under the same key') },
        { idempotencyKey: 'crashed' },
      );
      expect(other.deduplicated).toBe(false);
    } finally {
      await queue.queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
    }
  });
});
