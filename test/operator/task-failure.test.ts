import { afterEach, describe, expect } from 'vitest';
import { condition, createBed, eventually, getGPT, gptPolicy, GPT, onTestServer, type Bed } from './harness.js';
import { scriptedGenerator } from './scripted-generator.js';

// The result of a finished job, handled exactly once per job, even when something goes wrong:
// - a reconcile or the handling of a finished job that throws (an API outage longer than the retries) used to
//   leave its object where it stood, Generating with no reason, until the next resync (300 s by default): the
//   job tracker had already let go of the job. The object is tried again with the requeue backoff instead.
// - a reconcile on a watch cache that lags behind the operator's own status write (still Generating, same
//   job) used to watch the finished job again and handle its result a second time: a second impact preview
//   (a sandbox child), apply and Events. At 500 GPTPolicies that was a third of the objects (bench operator).

const NAME = 'no-prod-pods-in-test-ns.drzzl.io';
const DESCRIPTION = "Deny pods with the label 'env=prod' in the 'test' namespace.";

let bed: Bed | undefined;

afterEach(async () => {
  await bed?.close();
  bed = undefined;
});

const appliedEvents = (): unknown[] =>
  bed!
    .server!.listObjects('', 'events', 'default')
    .filter((e) => e.involvedObject?.name === NAME && e.reason === 'Applied');

describe('a task that throws', () => {
  onTestServer(
    'a finished job whose result could not be recorded is handled again after the backoff, with no second model call',
    async () => {
      const model = scriptedGenerator();
      let release!: () => void;
      model.gate = new Promise<void>((resolve) => (release = resolve));
      bed = await createBed(model.generate);
      const server = bed.server!;
      // a resync far beyond the test: only the backoff can bring the object to Ready in time
      await bed.startOperator({
        controller: { resyncIntervalMs: 600_000, requeueBackoff: { baseMs: 100, maxMs: 200 } },
      });
      await bed.api.createClusterCustomObject({ ...GPT, body: gptPolicy(NAME, { description: DESCRIPTION }) });
      await eventually(async () => (await getGPT(bed!, NAME)).status?.phase === 'Generating', 'Generating');

      // the status write that records the applied JsPolicy fails 7 times: the first try and all 6 retries
      server.inject({ method: 'PUT', path: /\/status$/, status: 500, times: 7 });
      release();

      const ready = await eventually(async () => {
        const o = await getGPT(bed!, NAME);
        return o.status?.phase === 'Ready' && condition(o, 'Ready')?.status === 'True' ? o : undefined;
      }, `${NAME} to become Ready`);
      expect(condition(ready, 'Applied')?.status).toBe('True');
      expect(server.requests.filter((r) => r.method === 'PUT' && r.status === 500)).toHaveLength(7);
      expect(model.calls).toHaveLength(1);
    },
  );
});

describe('a watch cache that lags behind the status the operator wrote', () => {
  onTestServer('does not make a reconcile queued before the handling watch the finished job again', async () => {
    const model = scriptedGenerator();
    let release!: () => void;
    model.gate = new Promise<void>((resolve) => (release = resolve));
    bed = await createBed(model.generate);
    const server = bed.server!;
    const op = await bed.startOperator({ controller: { resyncIntervalMs: 600_000, impact: false } });
    // the first reconcile's Queued status write is held up (5 s, far longer than the steps below)
    server.inject({ method: 'PUT', path: /\/status$/, delayMs: 5000, times: 1 });
    await bed.api.createClusterCustomObject({ ...GPT, body: gptPolicy(NAME, { description: DESCRIPTION }) });
    const heldUp = () => server.requests.find((r) => r.method === 'PUT' && !r.status);
    await eventually(async () => heldUp(), 'the Queued status write');

    // a reconcile waits behind it; then the job finishes and its handling waits behind that reconcile, which
    // will read Generating (the held write, or a fresh read) with no job watched any more
    op.controller.resync();
    release();
    await eventually(async () => Object.keys(op.controller.pendingJobs()).length === 0, 'the job handed over');
    expect(heldUp()).toBeDefined();

    await eventually(async () => (await getGPT(bed!, NAME)).status?.phase === 'Ready', 'Ready');
    await op.controller.idle();
    await eventually(async () => Object.keys(op.controller.pendingJobs()).length === 0, 'no job watched');
    await op.controller.idle();
    expect(appliedEvents()).toHaveLength(1);
    expect(model.calls).toHaveLength(1);
  });

  onTestServer('does not make the operator handle the same finished job again', async () => {
    const model = scriptedGenerator();
    let release!: () => void;
    model.gate = new Promise<void>((resolve) => (release = resolve));
    bed = await createBed(model.generate);
    const server = bed.server!;
    const op = await bed.startOperator({ controller: { resyncIntervalMs: 600_000, impact: false } });
    await bed.api.createClusterCustomObject({ ...GPT, body: gptPolicy(NAME, { description: DESCRIPTION }) });
    // the second reconcile is the Queued status's watch event: from then on the cache holds Generating
    await eventually(
      async () => op.controller.pendingJobs()[NAME] && op.controller.stats.reconciles >= 2,
      'Generating in the cache, the job watched',
    );

    // the GPTPolicy watch is cut and its reopening held up (5 s, far longer than the steps below; the bed's
    // close waits for it): the operator's cache keeps the Generating status
    server.inject({ method: 'GET', path: /\/gptpolicies$/, delayMs: 5000, times: 1 });
    server.closeWatches();
    const heldUp = () =>
      server.requests.find((r) => r.method === 'GET' && r.path.endsWith('/gptpolicies') && r.query.watch && !r.status);
    await eventually(async () => heldUp(), 'the watch to be reopened');
    release();
    await eventually(async () => (await getGPT(bed!, NAME)).status?.phase === 'Ready', 'Ready in the API server');
    // the Applied Event is recorded just after the Ready status write: a read in between sees Ready alone
    await eventually(async () => appliedEvents().length > 0, 'the Applied Event');
    expect(appliedEvents()).toHaveLength(1);

    // every cached object reconciled now, on the stale copy; then everything it may have started is done
    op.controller.resync();
    await op.controller.idle();
    await eventually(async () => Object.keys(op.controller.pendingJobs()).length === 0, 'no job watched');
    await op.controller.idle();
    // the cache was still stale throughout (else this test proves nothing)
    expect(heldUp()).toBeDefined();
    expect(appliedEvents()).toHaveLength(1);
    expect(model.calls).toHaveLength(1);
  });
});
