import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Queue, QueueEvents } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnWatched, type WatchedProcess } from '../support/processes.js';
import { redisForTests, type TestRedis } from '../support/redis.js';

// Another service's view of the queue: this file imports nothing of policyforge, only bullmq and the
// documented contract in docs/queue.md (queue name, job name, data schema v1). The worker is
// `policyforge serve --worker-only` as users run it: the compiled CLI, the real loop (offline model).
const BIN = fileURLToPath(new URL('../../bin/policyforge.js', import.meta.url));
const QUEUE_NAME = 'policyforge-generation';

let redis: TestRedis;
let worker: WatchedProcess;
const prefix = `pf-plain-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  redis = await redisForTests();
  worker = spawnWatched(process.execPath, ['--no-node-snapshot', BIN, 'serve', '--worker-only', '--concurrency', '1'], {
    env: {
      REDIS_URL: redis.url,
      POLICYFORGE_QUEUE_PREFIX: prefix,
      POLICYFORGE_SKILL_PREFIX: `${prefix}:skills:`,
      POLICYFORGE_PROVIDER: 'offline',
      POLICYFORGE_SANDBOX_PROCESSES: '1',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
    },
  });
  await worker.waitForLine(/^policyforge serving \(worker\) on /, 60_000);
});
afterEach((context) => {
  // A failure here is about another process: show what the worker said.
  if (context.task.result?.state === 'fail') process.stderr.write(`worker stderr:\n${worker.stderr().slice(-4000)}\n`);
});
afterAll(async () => {
  worker?.child.kill('SIGTERM');
  await worker?.exited;
  await redis?.close();
});

describe('a producer using plain bullmq', () => {
  const connection = () => ({ url: redis.url });

  it('enqueues a v1 job that a policyforge worker completes', async () => {
    const queue = new Queue(QUEUE_NAME, { connection: connection(), prefix });
    const events = new QueueEvents(QUEUE_NAME, { connection: connection(), prefix });
    await events.waitUntilReady();
    try {
      const job = await queue.add(
        'generate',
        {
          v: 1,
          intent: { text: 'Services of type NodePort are not allowed.', options: { maxRounds: 2 } },
          requestedBy: 'billing-service',
        },
        { attempts: 3, backoff: { type: 'exponential', delay: 5000 }, removeOnComplete: { age: 3600 } },
      );
      const result = await job.waitUntilFinished(events, 60_000);
      expect(result).toMatchObject({ status: 'succeeded', safeToApply: true, source: 'offline' });
      expect(result.intent).toEqual({ text: 'Services of type NodePort are not allowed.', options: { maxRounds: 2 } });
      expect(result.policy).toMatchObject({ kind: 'JsPolicy', spec: { resources: ['services'] } });
      const progress = (await queue.getJob(job.id!))?.progress as { events: Array<{ type: string }> };
      expect(progress.events.at(-1)?.type).toBe('finished');
    } finally {
      await events.close();
      await queue.close();
    }
  });

  it('gets a job with data outside the schema failed at once, with a message naming the field', async () => {
    const queue = new Queue(QUEUE_NAME, { connection: connection(), prefix });
    try {
      const job = await queue.add('generate', { v: 1, intent: { txt: 'typo in the field name' } }, { attempts: 3 });
      // Read the job's state as any producer can (no event stream needed).
      const deadline = Date.now() + 60_000;
      let state = await queue.getJobState(job.id!);
      while (state !== 'failed' && state !== 'completed' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        state = await queue.getJobState(job.id!);
      }
      const failed = await queue.getJob(job.id!);
      expect(state, `job ${job.id} after 60 s (attempts ${failed?.attemptsMade})`).toBe('failed');
      expect(failed?.failedReason).toMatch(/^PF_ERR_INPUT_INVALID: job \S+: intent\.text: /);
      expect(failed?.failedReason).toContain('intent.txt: is not a known field');
      expect(failed?.attemptsMade).toBe(1);
    } finally {
      await queue.close();
    }
  });
});
