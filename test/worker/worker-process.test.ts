import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGenerationQueue, type GenerationQueue } from '../../worker/index.js';
import { spawnWatched, type WatchedProcess } from '../support/processes.js';
import { redisForTests, type TestRedis } from '../support/redis.js';
import { waitForState } from './fixtures/wait.js';

// Worker processes run the compiled worker (dist/, built by the test setup) the way production does.
const WORKER = fileURLToPath(new URL('./fixtures/worker-process.mjs', import.meta.url));

let redis: TestRedis;
const processes: WatchedProcess[] = [];
const queues: GenerationQueue[] = [];

beforeAll(async () => {
  redis = await redisForTests();
});
afterEach(async () => {
  for (const p of processes.splice(0))
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  for (const q of queues.splice(0)) {
    await q.queue.obliterate({ force: true }).catch(() => undefined);
    await q.close();
  }
});
afterAll(async () => {
  await redis?.close();
});

function startWorker(prefix: string, env: Record<string, string> = {}): WatchedProcess {
  const p = spawnWatched(process.execPath, [WORKER], {
    env: { REDIS_URL: redis.url, PF_PREFIX: prefix, LOG_LEVEL: 'warn', ...env },
  });
  processes.push(p);
  return p;
}

describe('worker processes', () => {
  it('a worker killed with SIGKILL mid-job loses nothing: the stalled job completes on a restarted worker', async () => {
    const prefix = `pf-kill-${randomUUID().slice(0, 8)}`;
    const queue = createGenerationQueue({ connection: redis.url, prefix });
    queues.push(queue);
    // Short locks so the test sees stalled-job recovery in seconds rather than the production 30 s.
    const timing = { PF_LOCK_MS: '1500', PF_STALLED_MS: '500', PF_JOB_MS: '1500' };

    const first = startWorker(prefix, timing);
    await first.waitForLine(/^ready$/);
    const { id } = await queue.enqueue({ v: 1, intent: { text: 'Deny pods in the default namespace' } });
    await first.waitForLine(new RegExp(`^started ${id}$`));
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    expect((await queue.getJob(id))?.state).toBe('active'); // still locked by the dead worker

    const second = startWorker(prefix, timing);
    await second.waitForLine(new RegExp(`^started ${id}$`), 30_000);
    const view = await waitForState(queue, id, 'completed');
    expect(view.result?.reason).toBe(`ran in pid ${second.child.pid}`);
    expect(view.result?.intent.text).toBe('Deny pods in the default namespace');
  });

  it('on SIGTERM a worker finishes its running job before it exits', async () => {
    const prefix = `pf-term-${randomUUID().slice(0, 8)}`;
    const queue = createGenerationQueue({ connection: redis.url, prefix });
    queues.push(queue);
    const worker = startWorker(prefix, { PF_JOB_MS: '1000' });
    await worker.waitForLine(/^ready$/);
    const { id } = await queue.enqueue({ v: 1, intent: { text: 'Deny pods with hostNetwork' } });
    await worker.waitForLine(new RegExp(`^started ${id}$`));
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    const view = await queue.getJob(id);
    expect(view?.state).toBe('completed');
    expect(view?.result?.reason).toBe(`ran in pid ${worker.child.pid}`);
  });

  it('on SIGTERM a job that outlives the grace period is handed back and completed by the next worker', async () => {
    const prefix = `pf-handback-${randomUUID().slice(0, 8)}`;
    const queue = createGenerationQueue({ connection: redis.url, prefix });
    queues.push(queue);
    const worker = startWorker(prefix, { PF_JOB_MS: '60000', PF_GRACE_MS: '300' });
    await worker.waitForLine(/^ready$/);
    const { id } = await queue.enqueue({ v: 1, intent: { text: 'Require readiness probes' } });
    await worker.waitForLine(new RegExp(`^started ${id}$`));
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    expect((await queue.getJob(id))?.state).toBe('waiting');

    const next = startWorker(prefix, { PF_JOB_MS: '100' });
    const view = await waitForState(queue, id, 'completed');
    expect(view.result?.reason).toBe(`ran in pid ${next.child.pid}`);
  });
});
