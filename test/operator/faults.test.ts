import { afterEach, describe, expect, it } from 'vitest';
import { startRedisServer, type TestRedis } from '../support/redis.js';
import {
  condition,
  createBed,
  editGPT,
  eventually,
  getGPT,
  getJsPolicy,
  gptPolicy,
  GPT,
  JSP,
  onTestServer,
  type Bed,
} from './harness.js';
import { scriptedGenerator, type ScriptedGenerator } from './scripted-generator.js';

// The operator under faults that used to leave an object stuck until the next resync (300 s) or forever,
// or that wasted model runs: a JsPolicy name held by another owner, a queue outage, a burst of edits.

const NAME = 'no-prod-pods-in-test-ns.drzzl.io';
const DESCRIPTION = "Deny pods with the label 'env=prod' in the 'test' namespace.";

let bed: Bed | undefined;
let redis: TestRedis | undefined;
let model: ScriptedGenerator;

afterEach(async () => {
  await bed?.close();
  bed = undefined;
  await redis?.close();
  redis = undefined;
});

const phaseOf = async (name = NAME) => (await getGPT(bed!, name)).status?.phase;
const ready = (name = NAME) =>
  eventually(async () => {
    const o = await getGPT(bed!, name);
    return o.status?.phase === 'Ready' && condition(o, 'Ready')?.status === 'True' ? o : undefined;
  }, `${name} to become Ready`);

/** A JsPolicy of the same name owned by another GPTPolicy (what delete + re-create leaves until GC runs). */
const foreignJsPolicy = (uid = 'uid-of-a-deleted-gptpolicy') => ({
  apiVersion: 'policy.jspolicy.com/v1beta1',
  kind: 'JsPolicy',
  metadata: {
    name: NAME,
    ownerReferences: [
      { apiVersion: 'gpt.drzzl.io/v1', kind: 'GPTPolicy', name: NAME, uid, controller: true, blockOwnerDeletion: true },
    ],
  },
  spec: { operations: ['CREATE'], resources: ['pods'], javascript: 'allow();' },
});

const notOwned = () =>
  eventually(async () => {
    const o = await getGPT(bed!, NAME);
    return condition(o, 'Applied')?.reason === 'PolicyNotOwned' ? o : undefined;
  }, 'Applied=False PolicyNotOwned');

describe('PolicyNotOwned clears', () => {
  it('applies as soon as the JsPolicy holding the name is deleted (the owned kind is watched), with no second model call', async () => {
    model = scriptedGenerator();
    bed = await createBed(model.generate);
    await bed.api.createClusterCustomObject({ ...JSP, body: foreignJsPolicy() });
    // a backoff far beyond the test: only the deletion can make it apply in time
    await bed.startOperator({ controller: { requeueBackoff: { baseMs: 600_000 }, resyncIntervalMs: 600_000 } });
    await bed.api.createClusterCustomObject({ ...GPT, body: gptPolicy(NAME, { description: DESCRIPTION }) });

    const failed = await notOwned();
    expect(failed.status.phase).toBe('Failed');
    // the conditions agree with the phase: generated and verified, only applying failed
    expect(failed.status.conditions.map((c: any) => [c.type, c.status, c.reason])).toEqual([
      ['Generated', 'True', 'Succeeded'],
      ['Verified', 'True', 'CasesPassed'],
      ['Applied', 'False', 'PolicyNotOwned'],
      ['Ready', 'False', 'PolicyNotOwned'],
    ]);

    await bed.api.deleteClusterCustomObject({ ...JSP, name: NAME });
    const obj = await ready();
    expect(obj.status.conditions.map((c: any) => [c.type, c.status])).toEqual([
      ['Generated', 'True'],
      ['Verified', 'True'],
      ['ImpactAssessed', 'True'],
      ['Applied', 'True'],
      ['Ready', 'True'],
    ]);
    expect((await getJsPolicy(bed, NAME)).metadata.ownerReferences[0].uid).toBe(obj.metadata.uid);
    expect(model.calls).toHaveLength(1);
  });

  onTestServer(
    'recovers from kubectl delete + re-create while the garbage collector still holds the old JsPolicy',
    async () => {
      model = scriptedGenerator();
      bed = await createBed(model.generate, { garbageCollectionDelayMs: 1500 });
      await bed.startOperator({ controller: { requeueBackoff: { baseMs: 600_000 }, resyncIntervalMs: 600_000 } });
      await bed.api.createClusterCustomObject({ ...GPT, body: gptPolicy(NAME, { description: DESCRIPTION }) });
      await ready();
      await bed.api.deleteClusterCustomObject({ ...GPT, name: NAME });
      const recreated = await bed.api.createClusterCustomObject({
        ...GPT,
        body: gptPolicy(NAME, { description: DESCRIPTION }),
      });
      // the old JsPolicy (owned by the deleted uid) is still there: PolicyNotOwned until GC removes it
      await notOwned();
      const obj = await ready();
      expect(obj.metadata.uid).toBe(recreated.metadata.uid);
      expect((await getJsPolicy(bed, NAME)).metadata.ownerReferences[0].uid).toBe(recreated.metadata.uid);
    },
  );

  it('tries again with backoff, so a name handed over without a deletion is applied too', async () => {
    model = scriptedGenerator();
    bed = await createBed(model.generate);
    await bed.api.createClusterCustomObject({ ...JSP, body: foreignJsPolicy() });
    await bed.startOperator({ controller: { requeueBackoff: { baseMs: 200, maxMs: 400 }, resyncIntervalMs: 600_000 } });
    const created = await bed.api.createClusterCustomObject({
      ...GPT,
      body: gptPolicy(NAME, { description: DESCRIPTION }),
    });
    await notOwned();

    // its owner hands it over (an update, no deletion event): the next backoff retry takes it
    const current = await getJsPolicy(bed, NAME);
    const ours = { ...current.metadata.ownerReferences[0], uid: created.metadata.uid };
    await bed.api.replaceClusterCustomObject({
      ...JSP,
      name: NAME,
      body: { ...current, metadata: { ...current.metadata, ownerReferences: [ours] } },
    });
    await ready();
    expect((await getJsPolicy(bed, NAME)).spec.javascript).toContain(DESCRIPTION);
    expect(model.calls).toHaveLength(1);
  });
});

describe('a queue outage', () => {
  onTestServer(
    'is retried with backoff, not at the next resync: Ready within seconds of Redis coming back',
    async () => {
      redis = await startRedisServer({ persist: true });
      model = scriptedGenerator();
      bed = await createBed(model.generate, { redisUrl: redis.url });
      await bed.startOperator({
        controller: { requeueBackoff: { baseMs: 100, maxMs: 500 }, resyncIntervalMs: 600_000 },
      });
      await redis.stop();
      await bed.api.createClusterCustomObject({ ...GPT, body: gptPolicy(NAME, { description: DESCRIPTION }) });
      const down = await eventually(async () => {
        const o = await getGPT(bed!, NAME);
        return condition(o, 'Generated')?.reason === 'QueueUnavailable' ? o : undefined;
      }, 'Generated=False QueueUnavailable');
      expect(down.status.phase).toBe('Failed');

      await redis.restart();
      await ready();
      expect(model.calls).toHaveLength(1);
    },
  );
});

describe('a burst of edits', () => {
  it('generates only the latest spec to the end: jobs for older specs are removed or stopped', async () => {
    model = scriptedGenerator();
    let release!: () => void;
    model.gate = new Promise<void>((r) => (release = r));
    bed = await createBed(model.generate);
    await bed.startOperator();
    await bed.api.createClusterCustomObject({
      ...GPT,
      body: gptPolicy(NAME, { description: `${DESCRIPTION} Edit 0.` }),
    });
    await eventually(async () => model.calls.length === 1, 'the first generation to start');

    const edits = 10;
    for (let n = 1; n <= edits; n++)
      await editGPT(bed, NAME, (o) => ({ ...o, spec: { description: `${DESCRIPTION} Edit ${n}.` } }));
    const last = `${DESCRIPTION} Edit ${edits}.`;
    // the job for the last spec is the one the object waits for
    await eventually(
      async () =>
        (await getGPT(bed!, NAME)).status?.observedGeneration === edits + 1 && (await phaseOf()) === 'Generating',
      'the last spec queued',
    );
    release();
    const obj = await eventually(async () => {
      const o = await getGPT(bed!, NAME);
      return o.status?.phase === 'Ready' && o.status.observedGeneration === edits + 1 ? o : undefined;
    }, 'the last spec applied');
    expect((await getJsPolicy(bed, NAME)).spec.javascript).toContain(last);

    const completed = await bed.queue.listJobs({ states: ['completed'] });
    expect(completed.map((j) => j.intent.text)).toEqual([last]);
    const failed = await bed.queue.listJobs({ states: ['failed'] });
    expect(failed.every((j) => j.error?.code === 'PF_ERR_CONFLICT')).toBe(true);
    expect(model.calls.filter((i) => i.text === last)).toHaveLength(1);
    expect(obj.status.jobId).toBe(completed[0].id);
  });
});
