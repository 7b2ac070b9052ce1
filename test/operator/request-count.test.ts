import { afterEach, describe, expect } from 'vitest';
import type { OperatorQueue } from '../../src/operator/index.js';
import { createBed, eventually, gptPolicy, GPT, onTestServer, type Bed } from './harness.js';
import { scriptedGenerator } from './scripted-generator.js';

// What the operator asks of the API server and of the queue to bring N GPTPolicies to Ready, counted (never
// timed). At 500 objects every request and every job read is CPU taken from the generation that shares the
// process (docs/benchmarks.md, operator section); these counts are what the 500-object figures rest on.

const N = 6;
const DESCRIPTION = "Deny pods with the label 'env=prod' in the 'test' namespace.";
const names = Array.from({ length: N }, (_, k) => `count-${k}.drzzl.io`);

let bed: Bed | undefined;
afterEach(async () => {
  await bed?.close();
  bed = undefined;
});

/** bed.queue, with the operator's full job reads and its "finished yet?" asks counted. */
function countingQueue(b: Bed) {
  const counts = { getJob: 0, settledStates: 0 };
  const queue: OperatorQueue = {
    enqueue: b.queue.enqueue,
    getJob: (id) => {
      counts.getJob++;
      return b.queue.getJob(id);
    },
    settledStates: (ids) => {
      counts.settledStates++;
      return b.queue.settledStates(ids);
    },
    watch: b.queue.watch,
    supersede: b.queue.supersede,
  };
  return { queue, counts };
}

/** Every object Ready, read from the test server's store (no request, so none is counted). */
const allReady = (b: Bed) =>
  eventually(
    async () =>
      b
        .server!.listObjects('gpt.drzzl.io', 'gptpolicies')
        .filter((o) => names.includes(o.metadata.name) && o.status?.phase === 'Ready').length === N,
    `${N} GPTPolicies to become Ready`,
  );

describe('what the operator asks of the API server and the queue', () => {
  onTestServer(
    `brings ${N} GPTPolicies to Ready with 8 requests each, reads each finished job once, and reads none again after a restart`,
    async () => {
      bed = await createBed(scriptedGenerator().generate);
      const b = bed;
      const server = b.server!;
      const { queue, counts } = countingQueue(b);
      const op = await b.startOperator({ queue, controller: { impact: false } });
      const start = server.requests.length;
      for (const name of names)
        await b.api.createClusterCustomObject({ ...GPT, body: gptPolicy(name, { description: DESCRIPTION }) });
      await allReady(b);
      await op.controller.pollJobs();
      await op.controller.idle();
      // a reconcile of every object on the watch caches, as the resync and the operator's own status writes do
      op.controller.resync();
      await op.controller.idle();

      const requests = server.requests.slice(start);
      const count = (method: string, pattern: RegExp, dryRun?: boolean) =>
        requests.filter(
          (r) =>
            r.method === method &&
            pattern.test(r.path) &&
            (dryRun === undefined || (r.query.dryRun === 'All') === dryRun),
        ).length;
      const one = '/[^/]+$';
      /** A request about one object (…/<plural>/<name>[/<subresource>]), not a list or watch of a kind. */
      const single = (path: string) => /\/apis\/[^/]+\/[^/]+\/[^/]+\/[^/]+(\/status)?$/.test(path);
      const perObject = {
        // the decision to enqueue, and the finished job's handling: each on a fresh read
        getGPTPolicy: count('GET', new RegExp(`/gptpolicies${one}`)),
        // Queued, then Ready: each written over the object just read, not read again
        putStatus: count('PUT', /\/gptpolicies\/[^/]+\/status$/),
        // read once before the preview and the apply, which uses that read; afterwards the watch cache answers
        getJsPolicy: count('GET', new RegExp(`/jspolicies${one}`)),
        dryRunJsPolicy: count('POST', /\/jspolicies$/, true),
        createJsPolicy: count('POST', /\/jspolicies$/, false),
        event: count('POST', /\/events$/),
      };
      expect(perObject).toEqual({
        getGPTPolicy: 2 * N,
        putStatus: 2 * N,
        getJsPolicy: N,
        dryRunJsPolicy: N,
        createJsPolicy: N,
        event: N,
      });
      // the creates are the test's; nothing else was written or read one object at a time
      expect(count('POST', /\/gptpolicies$/)).toBe(N);
      const counted = /\/gptpolicies(\/[^/]+(\/status)?)?$|\/jspolicies(\/[^/]+)?$|\/events$/;
      const others = requests.filter((r) => (r.method !== 'GET' || single(r.path)) && !counted.test(r.path));
      expect(others.map((r) => `${r.method} ${r.path}`)).toEqual([]);
      // each job read in full once, when it had finished; the rest were "finished yet?" asks
      expect(counts.getJob).toBe(N);
      expect(counts.settledStates).toBeGreaterThan(0);

      // a restart over the same N unchanged objects: a list and a watch of each kind, no read of any one object
      await op.stop();
      const restartStart = server.requests.length;
      const second = await b.startOperator({ queue, controller: { impact: false } });
      await eventually(
        async () => second.controller.stats.reconciles >= N && second.controller.idle().then(() => true),
        'the restarted operator to reconcile every object',
      );
      second.controller.resync();
      await second.controller.idle();
      const restart = server.requests.slice(restartStart);
      expect(restart.filter((r) => r.method !== 'GET')).toEqual([]);
      expect(restart.filter((r) => single(r.path)).map((r) => `${r.method} ${r.path}`)).toEqual([]);
      expect(second.controller.stats).toMatchObject({ enqueued: 0, deduplicated: 0, statusWrites: 0 });
      expect(counts.getJob).toBe(N);
    },
  );
});
