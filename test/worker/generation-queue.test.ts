import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PolicyforgeError, silentLogger, type Intent } from '../../common/index.js';
import {
  GenerationMetrics,
  createGenerationQueue,
  startGenerationWorker,
  type GenerateFn,
  type GenerationQueue,
  type JobView,
  type RetentionOptions,
  SUPERSEDED_MESSAGE,
} from '../../worker/index.js';
import { redisForTests, type TestRedis } from '../support/redis.js';
import { finishedGeneration } from './fixtures/results.js';

let redis: TestRedis;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  redis = await redisForTests();
});
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
afterAll(async () => {
  await redis?.close();
});

function setup(
  generate: GenerateFn,
  options: {
    concurrency?: number;
    attempts?: number;
    backoffMs?: number;
    shutdownGraceMs?: number;
    retention?: RetentionOptions;
    supersededCheckMs?: number;
  } = {},
) {
  const prefix = `pf-test-${randomUUID().slice(0, 8)}`;
  const queue = createGenerationQueue({
    connection: redis.url,
    prefix,
    attempts: options.attempts,
    backoffMs: options.backoffMs ?? 10,
    retention: options.retention,
  });
  const metrics = new GenerationMetrics();
  const worker = startGenerationWorker({
    connection: redis.url,
    prefix,
    concurrency: options.concurrency ?? 1,
    generate,
    metrics,
    logger: silentLogger,
    shutdownGraceMs: options.shutdownGraceMs,
    supersededCheckMs: options.supersededCheckMs,
  });
  cleanups.push(async () => {
    await worker.close();
    await queue.queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  });
  return { queue, worker, metrics, prefix };
}

async function waitFor(
  queue: GenerationQueue,
  id: string,
  states: JobView['state'][] = ['completed', 'failed'],
  timeoutMs = 20_000,
): Promise<JobView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await queue.getJob(id);
    if (view && states.includes(view.state)) return view;
    if (Date.now() > deadline)
      throw new Error(`job ${id} is ${view?.state ?? 'gone'} after ${timeoutMs} ms, wanted ${states.join('|')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

const intent = (text: string): Intent => ({ text });

describe('generation queue and worker (real Redis)', () => {
  it('runs a job to completion and keeps its result, transcript and per-round progress', async () => {
    const { queue, metrics } = setup(async (i, ctx) => {
      ctx.onProgress({ type: 'retrieved', skills: ['getLabel@1'] });
      ctx.onProgress({ type: 'round-started', round: 1 });
      ctx.onProgress({ type: 'drafted', round: 1, policy: finishedGeneration(i).policy });
      ctx.onProgress({
        type: 'verified',
        round: 1,
        passed: true,
        casesPassed: 3,
        casesTotal: 3,
        blocking: 0,
        advisory: 1,
      });
      ctx.onProgress({ type: 'round-started', round: 2 });
      ctx.onProgress({ type: 'finished', status: 'succeeded', reason: 'ok' });
      return finishedGeneration(i);
    });
    const { id, deduplicated } = await queue.enqueue({
      v: 1,
      intent: intent('Deny pods labelled env=prod in test'),
      requestedBy: 'alice',
    });
    expect(deduplicated).toBe(false);
    const view = await waitFor(queue, id);
    expect(view.state).toBe('completed');
    expect(view.requestedBy).toBe('alice');
    expect(view.result?.status).toBe('succeeded');
    expect(view.result?.rounds).toHaveLength(1);
    expect(view.progress.round).toBe(2);
    expect(view.progress.events.map((e) => e.type)).toEqual([
      'retrieved',
      'round-started',
      'drafted',
      'verified',
      'round-started',
      'finished',
    ]);
    // drafts are kept without the policy body: the transcript has it
    expect(view.progress.events[2]).toMatchObject({ type: 'drafted', round: 1, hasPolicy: true });
    expect(view.queuedMs).toBeGreaterThanOrEqual(0);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/policyforge_rounds_total 2/);
    expect(text).toMatch(/policyforge_sandbox_evaluations_total\{origin="generation"\} 3/);
    expect(text).toMatch(/policyforge_jobs_total\{outcome="succeeded"\} 1/);
    expect(text).toMatch(/policyforge_model_tokens_total\{kind="prompt"\} 100/);
  });

  it('runs the same intent only once while it is in flight, whatever its whitespace or key order', async () => {
    const release = gate();
    let calls = 0;
    const { queue } = setup(async (i) => {
      calls++;
      await release.promise;
      return finishedGeneration(i);
    });
    const first = await queue.enqueue({
      v: 1,
      intent: { text: 'Require an owner label on namespaces', options: { mode: 'Warn', maxRounds: 2 } },
    });
    const second = await queue.enqueue({
      v: 1,
      intent: { text: '  Require an owner   label on namespaces ', options: { maxRounds: 2, mode: 'Warn' } },
    });
    const different = await queue.enqueue({
      v: 1,
      intent: { text: 'Require an OWNER label on namespaces', options: { mode: 'Warn', maxRounds: 2 } },
    });
    expect(second).toEqual({ id: first.id, deduplicated: true });
    expect(different.id).not.toBe(first.id);
    expect(different.deduplicated).toBe(false);
    release.open();
    await waitFor(queue, first.id);
    await waitFor(queue, different.id);
    expect(calls).toBe(2);
  });

  it('answers the first job again for a repeated Idempotency-Key and refuses the key with another body', async () => {
    const { queue } = setup(async (i) => finishedGeneration(i));
    const a = await queue.enqueue({ v: 1, intent: intent('No latest tags') }, { idempotencyKey: 'key-1' });
    const again = await queue.enqueue({ v: 1, intent: intent('No latest tags') }, { idempotencyKey: 'key-1' });
    expect(again).toEqual({ id: a.id, deduplicated: true, replayed: true });
    const other = queue.enqueue({ v: 1, intent: intent('Something else entirely') }, { idempotencyKey: 'key-1' });
    await expect(other).rejects.toMatchObject({ code: 'PF_ERR_CONFLICT' });
  });

  it('retries transient (retryable) errors with backoff and then succeeds', async () => {
    let calls = 0;
    const { queue, metrics } = setup(
      async (i) => {
        calls++;
        if (calls < 3) throw new PolicyforgeError('PF_ERR_MODEL_UNAVAILABLE', ['HTTP 503 from provider']);
        return finishedGeneration(i);
      },
      { attempts: 3, backoffMs: 20 },
    );
    const { id } = await queue.enqueue({ v: 1, intent: intent('Deny privileged containers') });
    const view = await waitFor(queue, id);
    expect(view.state).toBe('completed');
    expect(calls).toBe(3);
    expect(view.attempts.made).toBe(3);
    expect(await metrics.registry.metrics()).toMatch(/policyforge_jobs_total\{outcome="retried"\} 2/);
  });

  it('fails at once, without retries, on errors that retrying cannot fix, and keeps their code', async () => {
    let calls = 0;
    const { queue } = setup(
      async () => {
        calls++;
        throw new PolicyforgeError('PF_ERR_MODEL_AUTH', ['401 from provider for key sk-abcdefghijklmnop']);
      },
      { attempts: 5 },
    );
    const { id } = await queue.enqueue({ v: 1, intent: intent('Deny hostPath volumes') });
    const view = await waitFor(queue, id);
    expect(view.state).toBe('failed');
    expect(calls).toBe(1);
    expect(view.error?.code).toBe('PF_ERR_MODEL_AUTH');
    expect(view.error?.message).not.toContain('sk-abcdefghijklmnop');
  });

  it('treats unknown exceptions as internal errors, not retried', async () => {
    let calls = 0;
    const { queue } = setup(
      async () => {
        calls++;
        throw new TypeError('cannot read properties of undefined');
      },
      { attempts: 3 },
    );
    const { id } = await queue.enqueue({ v: 1, intent: intent('Deny services of type LoadBalancer') });
    const view = await waitFor(queue, id);
    expect(calls).toBe(1);
    expect(view.error).toEqual({
      code: 'PF_ERR_INTERNAL',
      message: 'internal error: cannot read properties of undefined',
    });
  });

  it('keeps finished results only as long as the retention says', async () => {
    const { queue } = setup(async (i) => finishedGeneration(i), { retention: { completedCount: 2 } });
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      const { id } = await queue.enqueue({ v: 1, intent: intent(`Retention intent ${n}`) });
      await waitFor(queue, id);
      ids.push(id);
    }
    expect(await queue.getJob(ids[0])).toBeUndefined(); // the oldest result was removed
    expect((await queue.getJob(ids[1]))?.state).toBe('completed');
    expect((await queue.getJob(ids[2]))?.result?.status).toBe('succeeded');
  });

  it('refuses invalid job data at enqueue, naming the field', async () => {
    const { queue } = setup(async (i) => finishedGeneration(i));
    await expect(queue.enqueue({ v: 1, intent: { text: '   ' } })).rejects.toThrow(/intent\.text: must not be empty/);
    await expect(queue.enqueue({ v: 2, intent: { text: 'x' } } as never)).rejects.toThrow(/^generation job: v: /);
    await expect(queue.enqueue({ v: 1, intent: { text: 'x', options: { maxRounds: 0 } } })).rejects.toThrow(
      /intent\.options\.maxRounds/,
    );
  });

  it('runs several jobs at once up to its concurrency', async () => {
    const release = gate();
    let concurrent = 0;
    let peak = 0;
    const { queue } = setup(
      async (i) => {
        peak = Math.max(peak, ++concurrent);
        await release.promise;
        concurrent--;
        return finishedGeneration(i);
      },
      { concurrency: 3 },
    );
    const ids = await Promise.all(
      [1, 2, 3, 4].map((n) => queue.enqueue({ v: 1, intent: intent(`Intent number ${n}`) })),
    );
    const deadline = Date.now() + 10_000;
    while (peak < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(peak).toBe(3);
    release.open();
    for (const { id } of ids) expect((await waitFor(queue, id)).state).toBe('completed');
    expect(peak).toBe(3);
  });

  it('on close(), lets a running job finish within the grace period', async () => {
    const release = gate();
    let started = false;
    const { queue, worker } = setup(async (i) => {
      started = true;
      await release.promise;
      return finishedGeneration(i);
    });
    const { id } = await queue.enqueue({ v: 1, intent: intent('Deny NodePort services') });
    while (!started) await new Promise((r) => setTimeout(r, 20));
    const closing = worker.close();
    setTimeout(release.open, 200);
    await closing;
    expect((await queue.getJob(id))?.state).toBe('completed');
  });

  it('on close(), hands a job that outlives the grace period back to the queue, where another worker completes it', async () => {
    let started = false;
    const { queue, worker, prefix } = setup(
      async (i) => {
        started = true;
        await new Promise(() => {}); // never finishes
        return finishedGeneration(i);
      },
      { shutdownGraceMs: 200 },
    );
    const { id } = await queue.enqueue({ v: 1, intent: intent('Deny pods without resource limits') });
    while (!started) await new Promise((r) => setTimeout(r, 20));
    await worker.close();
    const handedBack = await queue.getJob(id);
    expect(handedBack?.state).toBe('waiting');

    const second = startGenerationWorker({
      connection: redis.url,
      prefix,
      generate: async (i) => finishedGeneration(i, { reason: 'second worker' }),
      logger: silentLogger,
    });
    cleanups.push(() => second.close());
    const view = await waitFor(queue, id);
    expect(view.result?.reason).toBe('second worker');
  });

  it('supersede: removes a job not yet started, stops a running one, and runs the same id afresh when it is asked for again', async () => {
    const release = gate();
    const started: string[] = [];
    let abortedSignals = 0;
    const { queue, metrics } = setup(
      async (i, ctx) => {
        started.push(i.text);
        ctx.signal.addEventListener('abort', () => abortedSignals++);
        if (i.text.startsWith('v1')) await release.promise;
        return finishedGeneration(i);
      },
      { concurrency: 1, supersededCheckMs: 50 },
    );
    const v1 = await queue.enqueue({ v: 1, intent: intent('v1 of the spec') }, { jobId: 'object-a-v1' });
    await waitFor(queue, v1.id, ['active']);
    const v2 = await queue.enqueue({ v: 1, intent: intent('v2 of the spec') }, { jobId: 'object-a-v2' });
    const v3 = await queue.enqueue({ v: 1, intent: intent('v3 of the spec') }, { jobId: 'object-a-v3' });
    expect(await queue.supersede(v2.id)).toBe('removed');
    expect(await queue.getJob(v2.id)).toBeUndefined();
    expect(await queue.supersede(v1.id)).toBe('stopping');
    const stopped = await waitFor(queue, v1.id, ['failed']);
    expect(stopped.error).toEqual({ code: 'PF_ERR_CONFLICT', message: SUPERSEDED_MESSAGE });
    expect(stopped.attempts.made).toBe(1);
    expect(abortedSignals).toBe(1);
    expect((await waitFor(queue, v3.id)).state).toBe('completed');
    expect(await queue.supersede(v3.id)).toBe('finished');
    expect(started).toEqual(['v1 of the spec', 'v3 of the spec']);
    expect(await metrics.registry.metrics()).toMatch(/policyforge_jobs_total\{outcome="superseded"\} 1/);

    // the spec changes back to v1: the same job id runs again from the start instead of answering "superseded"
    release.open();
    const again = await queue.enqueue({ v: 1, intent: intent('v1 of the spec') }, { jobId: 'object-a-v1' });
    expect(again).toEqual({ id: 'object-a-v1', deduplicated: false });
    expect((await waitFor(queue, again.id)).state).toBe('completed');
    expect(started).toEqual(['v1 of the spec', 'v3 of the spec', 'v1 of the spec']);
  });

  it('settledStates: says which of many jobs finished, in one Redis call, without reading any job', async () => {
    const release = gate();
    const { queue } = setup(
      async (i) => {
        if (i.text.startsWith('fails')) throw new PolicyforgeError('PF_ERR_INPUT_INVALID', ['no']);
        if (i.text.startsWith('waits')) await release.promise;
        return finishedGeneration(i);
      },
      { concurrency: 1, attempts: 1 },
    );
    const done = await queue.enqueue({ v: 1, intent: intent('completes') }, { jobId: 'job-done' });
    await waitFor(queue, done.id);
    const failed = await queue.enqueue({ v: 1, intent: intent('fails at once') }, { jobId: 'job-failed' });
    await waitFor(queue, failed.id);
    const running = await queue.enqueue({ v: 1, intent: intent('waits for the gate') }, { jobId: 'job-running' });
    await waitFor(queue, running.id, ['active']);
    const waiting = await queue.enqueue({ v: 1, intent: intent('waits behind it') }, { jobId: 'job-waiting' });

    // every command the producer's client sends (the worker has connections of its own)
    const sent: string[] = [];
    const client = queue.client;
    const send = client.sendCommand.bind(client);
    client.sendCommand = ((command: Parameters<typeof send>[0], stream?: Parameters<typeof send>[1]) => {
      sent.push(command.name.toLowerCase());
      return send(command, stream);
    }) as typeof client.sendCommand;
    const states = await queue.settledStates([done.id, failed.id, running.id, waiting.id, 'job-never-added']);
    client.sendCommand = send;
    expect(Object.fromEntries(states)).toEqual({
      'job-done': 'completed',
      'job-failed': 'failed',
      'job-running': 'pending',
      'job-waiting': 'pending',
      'job-never-added': 'unknown',
    });
    // one script for all five, and no read of a job's hash (data, progress, result)
    expect(sent).toEqual(['eval']);
    release.open();
    await waitFor(queue, waiting.id);
    expect((await queue.settledStates([running.id, waiting.id])).get(waiting.id)).toBe('completed');
  });

  it('watch: tells the listener which event happened, so a caller waiting for the end can skip progress', async () => {
    const release = gate();
    const { queue } = setup(async (i, ctx) => {
      ctx.onProgress({ type: 'round-started', round: 1 });
      await release.promise;
      return finishedGeneration(i);
    });
    const events: string[] = [];
    const { id } = await queue.enqueue({ v: 1, intent: intent('watched from outside') }, { jobId: 'job-watched' });
    const unwatch = queue.watch(id, (event) => events.push(event));
    await waitFor(queue, id, ['active']);
    // BullMQ's event stream is read from the moment the listener's connection starts reading ('$'): what happened
    // before is not replayed, which is why callers also read the job's state. Here the job is held until the
    // listener has seen an event (a progress report sent from outside), so the end cannot be missed.
    const job = await queue.queue.getJob(id);
    const seen = Date.now() + 10_000;
    while (events.length === 0 && Date.now() < seen) {
      await job?.updateProgress({ type: 'round-started', round: 1 });
      await new Promise((r) => setTimeout(r, 50));
    }
    release.open();
    await waitFor(queue, id);
    const deadline = Date.now() + 10_000;
    while (!events.includes('completed') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    unwatch();
    expect(events).toContain('completed');
    expect(events.every((e) => ['progress', 'active', 'completed', 'waiting'].includes(e))).toBe(true);
  });
});
