import { PatchStrategy } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requestOptions } from '../../src/operator/request-options.js';
import {
  createBed,
  onTestServer,
  condition,
  editGPT,
  eventually,
  getGPT,
  getJsPolicy,
  gptPolicy,
  GPT,
  JSP,
  type Bed,
} from './harness.js';
import { scriptedGenerator, type ScriptedGenerator } from './scripted-generator.js';

// The controller's mechanics, end to end: the production operator (client-node against the in-process API
// server), a real Redis queue and a real generation worker. The model behind the worker is scripted here
// (scripted-generator.ts); user-policies.test.ts runs the real loop.

const NAME = 'no-prod-pods-in-test-ns.drzzl.io';
const DESCRIPTION = "Deny pods with the label 'env=prod' in the 'test' namespace.";

let bed: Bed;
let model: ScriptedGenerator;

beforeEach(async () => {
  model = scriptedGenerator();
  bed = await createBed(model.generate);
});
afterEach(async () => bed.close());

const ready = (name = NAME) =>
  eventually(async () => {
    const o = await getGPT(bed, name);
    return o.status?.phase === 'Ready' && condition(o, 'Ready')?.status === 'True' ? o : undefined;
  }, `${name} to become Ready`);

/** The first operator has nothing running or waiting (its reconciles and finished jobs are handled). */
const op0Idle = async () => {
  await bed.operators[0].controller.pollJobs();
  await bed.operators[0].controller.idle();
};

const inPhase = (phase: string, name = NAME) =>
  eventually(async () => {
    const o = await getGPT(bed, name);
    return o.status?.phase === phase ? o : undefined;
  }, phase);

describe('the GPTPolicy controller', () => {
  it('turns a GPTPolicy into an owned JsPolicy and reports Ready in the status subresource', async () => {
    await bed.startOperator();
    const created = await bed.api.createClusterCustomObject({
      ...GPT,
      body: gptPolicy(NAME, { description: DESCRIPTION }),
    });
    const obj = await ready();

    const policy = await getJsPolicy(bed, NAME);
    expect(policy.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'gpt.drzzl.io/v1',
        kind: 'GPTPolicy',
        name: NAME,
        uid: created.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(policy.spec.failurePolicy).toBe('Ignore'); // the draft said Fail; only the GPTPolicy may ask for it
    expect(policy.spec.violationPolicy).toBe('Deny');
    expect(policy.spec.namespaceSelector.matchExpressions[0].values).toEqual(['test']);
    expect(policy.metadata.labels['app.kubernetes.io/managed-by']).toBe('policyforge');

    expect(obj.status).toMatchObject({
      phase: 'Ready',
      observedGeneration: 1,
      policyName: NAME,
      rounds: 1,
      cases: { passed: 4, failed: 0, summary: '4/4' },
      findings: { blocking: 0, advisory: 1, rules: ['safety/advice'] },
      tokens: { prompt: 1200, completion: 300, total: 1500, calls: 2 },
    });
    expect(obj.status.jobId).toContain(created.metadata.uid);
    expect(obj.status.conditions.map((c: any) => [c.type, c.status, c.reason])).toEqual([
      ['Generated', 'True', 'Succeeded'],
      ['Verified', 'True', 'CasesPassed'],
      ['ImpactAssessed', 'True', 'NoDenials'],
      ['Applied', 'True', 'Applied'],
      ['Ready', 'True', 'Ready'],
    ]);
    expect(obj.status.impact).toMatchObject({
      checked: 0,
      wouldDeny: 0,
      wouldWarn: 0,
      examples: [],
      jobId: obj.status.jobId,
    });
    expect(model.calls).toHaveLength(1);
    expect(model.calls[0]).toMatchObject({
      text: DESCRIPTION,
      owner: { uid: created.metadata.uid, kind: 'GPTPolicy' },
    });
  });

  it('regenerates and updates the JsPolicy when the description changes, and deletion removes it', async () => {
    await bed.startOperator();
    await bed.api.createClusterCustomObject({ ...GPT, body: gptPolicy(NAME, { description: DESCRIPTION }) });
    const first = await ready();
    const before = await getJsPolicy(bed, NAME);
    // what an operator before the one envelope left on its JsPolicy: dropped by the next update
    const legacy = {
      'gpt.drzzl.io/spec-hash': first.status.specHash,
      'gpt.drzzl.io/intended-violation-policy': 'Deny',
    };
    await bed.api.patchClusterCustomObject(
      { ...JSP, name: NAME, body: { metadata: { annotations: legacy } } },
      requestOptions(10_000, PatchStrategy.MergePatch),
    );

    const changed = "Deny pods with the label 'env=prod' in the 'staging' namespace.";
    await editGPT(bed, NAME, (o) => ({ ...o, spec: { description: changed } }));
    const second = await eventually(async () => {
      const o = await getGPT(bed, NAME);
      return o.status?.phase === 'Ready' && o.status.observedGeneration === 2 ? o : undefined;
    }, 'the new spec to be applied');
    const after = await getJsPolicy(bed, NAME);
    expect(after.metadata.uid).toBe(before.metadata.uid); // updated in place, not recreated
    expect(after.spec.namespaceSelector.matchExpressions[0].values).toEqual(['staging']);
    expect(after.spec.javascript).toContain(changed);
    expect(Object.keys(after.metadata.annotations ?? {}).filter((k) => k in legacy)).toEqual([]);
    expect(second.status.jobId).not.toBe(first.status.jobId);
    expect(model.calls.map((i) => i.text)).toEqual([DESCRIPTION, changed]);

    await bed.api.deleteClusterCustomObject({ ...GPT, name: NAME });
    await eventually(async () => (await getJsPolicy(bed, NAME)) === undefined, 'the JsPolicy to be garbage-collected');
  });

  onTestServer('does no model call and no write for unchanged objects after a restart', async () => {
    const first = await bed.startOperator();
    await bed.api.createClusterCustomObject({ ...GPT, body: gptPolicy(NAME, { description: DESCRIPTION }) });
    const readyObj = await ready();
    await first.stop();
    const writesBefore = bed.server!.requests.filter((r) => r.method !== 'GET').length;

    const second = await bed.startOperator();
    await eventually(
      async () => second.controller.stats.reconciles >= 1 && second.controller.idle().then(() => true),
      'the restarted operator to reconcile',
    );
    second.controller.resync();
    await second.controller.idle();

    expect(model.calls).toHaveLength(1);
    expect(second.controller.stats).toMatchObject({ enqueued: 0, deduplicated: 0, statusWrites: 0 });
    expect(bed.server!.requests.filter((r) => r.method !== 'GET').length).toBe(writesBefore);
    expect((await getGPT(bed, NAME)).metadata.resourceVersion).toBe(readyObj.metadata.resourceVersion);
  });

  it('resumes waiting for a job a previous leader enqueued, without enqueuing it again', async () => {
    let release!: () => void;
    model.gate = new Promise((resolve) => (release = resolve)); // the model is still working when the leader stops
    const first = await bed.startOperator();
    await bed.api.createClusterCustomObject({ ...GPT, body: gptPolicy(NAME, { description: DESCRIPTION }) });
    const generating = await inPhase('Generating');
    await first.stop();
    const second = await bed.startOperator();
    release();
    await ready();
    expect(second.controller.stats.enqueued).toBe(0);
    expect((await getGPT(bed, NAME)).status.jobId).toBe(generating.status.jobId);
    expect(model.calls).toHaveLength(1);
  });

  it('leaves the working JsPolicy untouched during a model outage and says why in the status', async () => {
    await bed.startOperator();
    await bed.api.createClusterCustomObject({ ...GPT, body: gptPolicy(NAME, { description: DESCRIPTION }) });
    await ready();
    const before = await getJsPolicy(bed, NAME);

    model.mode = 'outage';
    await editGPT(bed, NAME, (o) => ({ ...o, spec: { description: `${DESCRIPTION} Also in 'dev'.` } }));
    const degraded = await inPhase('Degraded');

    expect(await getJsPolicy(bed, NAME)).toEqual(before); // same resourceVersion, same spec
    expect(condition(degraded, 'Generated')).toMatchObject({ status: 'False', reason: 'ModelUnavailable' });
    expect(condition(degraded, 'Ready')).toMatchObject({ status: 'True', reason: 'PreviousPolicyKept' });
    expect(degraded.status.lastError).toContain('PF_ERR_MODEL_UNAVAILABLE');
    expect(degraded.status.observedGeneration).toBe(2);
  });

  it('tries the same spec again after a model outage once the retry delay has passed by its clock', async () => {
    let now = Date.parse('2026-11-25T20:00:00Z');
    model.mode = 'outage';
    const op = await bed.startOperator({ controller: { now: () => new Date(now), outageRetryMs: 600_000 } });
    await bed.api.createClusterCustomObject({ ...GPT, body: gptPolicy(NAME, { description: DESCRIPTION }) });
    const failed = await inPhase('Failed');
    expect(condition(failed, 'Generated')?.reason).toBe('ModelUnavailable');

    model.mode = 'ok'; // the provider is back
    now += 540_000; // 9 minutes: too early
    op.controller.resync();
    await op.controller.idle();
    expect(model.calls).toHaveLength(1);

    now += 120_000; // 11 minutes after the failure
    op.controller.resync();
    const obj = await ready();
    expect(model.calls).toHaveLength(2);
    expect(obj.status.jobId).toBe(`${failed.status.jobId}-a2`);
  });

  it('re-applies a JsPolicy deleted by hand from the finished job, without a model call', async () => {
    await bed.startOperator();
    await bed.api.createClusterCustomObject({ ...GPT, body: gptPolicy(NAME, { description: DESCRIPTION }) });
    await ready();
    const before = await getJsPolicy(bed, NAME);
    await bed.api.deleteClusterCustomObject({ ...JSP, name: NAME });
    const op = bed.operators[0];
    op.controller.resync();
    const again = await eventually(async () => getJsPolicy(bed, NAME), 'the JsPolicy to be re-applied');
    expect(again.metadata.uid).not.toBe(before.metadata.uid);
    expect(again.spec).toEqual(before.spec);
    expect(model.calls).toHaveLength(1);
  });

  it('generates again when the finished job is gone from the queue and the JsPolicy is missing', async () => {
    await bed.startOperator();
    await bed.api.createClusterCustomObject({ ...GPT, body: gptPolicy(NAME, { description: DESCRIPTION }) });
    const obj = await ready();
    await bed.queue.queue.remove(obj.status.jobId); // retention removed it
    await bed.api.deleteClusterCustomObject({ ...JSP, name: NAME });
    bed.operators[0].controller.resync();
    await eventually(async () => getJsPolicy(bed, NAME), 'the JsPolicy to be regenerated');
    expect(model.calls).toHaveLength(2);
    expect((await getGPT(bed, NAME)).status.jobId).toBe(obj.status.jobId);
  });

  it('reconciles many GPTPolicies with bounded concurrency', async () => {
    const op = await bed.startOperator({ controller: { maxConcurrentReconciles: 2 } });
    const names = Array.from({ length: 8 }, (_, i) => `many-${i}.policy.drzzl.io`);
    for (const n of names)
      await bed.api.createClusterCustomObject({
        ...GPT,
        body: gptPolicy(n, {
          description: `Deny pods with the label 'env=prod' in the 'ns${names.indexOf(n)}' namespace.`,
        }),
      });
    for (const n of names) await ready(n);
    expect(op.controller.stats.applied).toBe(8);
    expect(model.calls).toHaveLength(8);
  });

  it('never applies a result that failed verification', async () => {
    model.mode = 'unverified';
    await bed.startOperator();
    await bed.api.createClusterCustomObject({ ...GPT, body: gptPolicy(NAME, { description: DESCRIPTION }) });
    const failed = await inPhase('Failed');
    expect(await getJsPolicy(bed, NAME)).toBeUndefined();
    expect(condition(failed, 'Verified')).toMatchObject({ status: 'False', reason: 'VerificationFailed' });
    expect(failed.status.cases).toMatchObject({ passed: 2, failed: 2 });
    expect(condition(failed, 'Ready')).toMatchObject({ status: 'False' });
  });

  onTestServer('survives injected 409s, 500s and dropped connections on every kind of call', async () => {
    const server = bed.server!;
    server.inject({ method: 'GET', path: '/gptpolicies', status: 500, times: 1 }); // the first list
    server.inject({ method: 'PUT', path: /\/status$/, status: 409, times: 2 });
    server.inject({ method: 'PUT', path: /\/status$/, status: 500, times: 1 });
    server.inject({ method: 'POST', path: '/jspolicies', dryRun: false, status: 503, times: 2 });
    server.inject({ method: 'POST', path: '/jspolicies', dryRun: true, status: 500, times: 1 });
    server.inject({ method: 'GET', path: `/jspolicies/${NAME}`, drop: true, times: 1 });
    await bed.startOperator();
    await bed.api.createClusterCustomObject({ ...GPT, body: gptPolicy(NAME, { description: DESCRIPTION }) });
    await ready();
    expect(await getJsPolicy(bed, NAME)).toBeDefined();
    const failedAnswers = server.requests.filter((r) => r.status === 409 || r.status >= 500 || r.status === -1);
    expect(failedAnswers.length).toBe(8); // every injected failure was met, and retried past
    expect(model.calls).toHaveLength(1);
  });

  onTestServer('gives up on a hung request after its timeout and retries it', async () => {
    bed.server!.inject({ method: 'GET', path: `/jspolicies/${NAME}`, delayMs: 2000, times: 1 }); // hangs past the 300 ms timeout
    bed.server!.inject({ method: 'PUT', path: /\/status$/, delayMs: 2000, times: 1 });
    await bed.startOperator({ kube: { requestTimeoutMs: 300 } });
    await bed.api.createClusterCustomObject({ ...GPT, body: gptPolicy(NAME, { description: DESCRIPTION }) });
    await ready();
    const hung = bed.server!.requests.filter(
      (r) => (r.path.endsWith(`/jspolicies/${NAME}`) && r.method === 'GET') || r.path.endsWith('/status'),
    );
    expect(hung.filter((r) => r.clientClosed)).toHaveLength(2); // both hung requests were abandoned by the client…
    expect(hung.length).toBeGreaterThan(2); // …and retried
    expect(await getJsPolicy(bed, NAME)).toBeDefined();
  });

  onTestServer(
    "feeds the API server's dry-run rejection back as a round of the same job, then applies the fixed policy",
    async () => {
      model.draftOverrides = { timeoutSeconds: 99 }; // jsPolicy's webhook allows 1..30
      model.dryRun = bed.dryRun; // the worker has the operator's cluster access (operator --with-worker)
      bed.jsPolicyRules.push((o) =>
        o.spec?.timeoutSeconds > 30
          ? [`spec.timeoutSeconds: Invalid value: ${o.spec.timeoutSeconds}: must be between 1 and 30`]
          : [],
      );
      await bed.startOperator();
      await bed.api.createClusterCustomObject({
        ...GPT,
        body: gptPolicy(NAME, { description: DESCRIPTION, mode: 'Warn' }),
      });
      const obj = await ready();
      // one job: round 1 refused on dry-run, round 2 accepted; the operator enqueued nothing more
      expect(model.calls).toHaveLength(1);
      expect(model.dryRunErrors).toEqual([['spec.timeoutSeconds: Invalid value: 99: must be between 1 and 30'], []]);
      expect(obj.status.jobId).not.toMatch(/-r2$/);
      expect(obj.status.rounds).toBe(2);
      const applied = await getJsPolicy(bed, NAME);
      expect(applied.spec.violationPolicy).toBe('Warn');
      expect(applied.spec.timeoutSeconds).toBeUndefined();
      // the loop's dry-runs and the applier's, all against the JsPolicy the operator owns
      const dryRuns = bed.server!.requests.filter((r) => r.path.includes('/jspolicies') && r.query.dryRun === 'All');
      expect(dryRuns.length).toBe(3);
    },
  );

  onTestServer(
    'reports a policy the API server refuses after the job, without applying anything or a new job',
    async () => {
      bed.jsPolicyRules.push((o) =>
        o.spec?.javascript?.includes('forbidden-marker') ? [] : ['spec.javascript: refused by the test webhook'],
      );
      await bed.startOperator();
      await bed.api.createClusterCustomObject({ ...GPT, body: gptPolicy(NAME, { description: DESCRIPTION }) });
      const failed = await inPhase('Failed');
      expect(condition(failed, 'Verified')).toMatchObject({ status: 'False', reason: 'DryRunRejected' });
      expect(failed.status.lastError).toContain('refused by the test webhook');
      expect(await getJsPolicy(bed, NAME)).toBeUndefined();
      expect(bed.server!.listObjects('policy.jspolicy.com', 'jspolicies')).toEqual([]);
      await op0Idle();
      expect(model.calls).toHaveLength(1); // the worker had no cluster access: no second job either
    },
  );

  onTestServer('reports DryRunRejected when the loop still met a refusal in its last round', async () => {
    model.dryRun = bed.dryRun;
    bed.jsPolicyRules.push(() => ['spec: refused by the test webhook, whatever the draft']);
    await bed.startOperator();
    await bed.api.createClusterCustomObject({ ...GPT, body: gptPolicy(NAME, { description: DESCRIPTION }) });
    const failed = await inPhase('Failed');
    expect(condition(failed, 'Verified')).toMatchObject({ status: 'False', reason: 'DryRunRejected' });
    expect(model.calls).toHaveLength(1);
    expect(model.dryRunErrors).toHaveLength(2);
    expect(await getJsPolicy(bed, NAME)).toBeUndefined();
  });

  it('applies with violationPolicy Dry under manual approval until the approval annotation is set', async () => {
    await bed.startOperator();
    await bed.api.createClusterCustomObject({
      ...GPT,
      body: gptPolicy(NAME, { description: DESCRIPTION, approval: 'Manual' }),
    });
    const waiting = await inPhase('AwaitingApproval');
    expect((await getJsPolicy(bed, NAME)).spec.violationPolicy).toBe('Dry');
    expect(condition(waiting, 'Applied')).toMatchObject({ status: 'True', reason: 'AppliedInDryRunMode' });
    expect(condition(waiting, 'Ready')).toMatchObject({ status: 'False', reason: 'AwaitingApproval' });

    await editGPT(bed, NAME, (o) => ({
      ...o,
      metadata: { ...o.metadata, annotations: { 'gpt.drzzl.io/approved': 'true' } },
    }));
    await ready();
    expect((await getJsPolicy(bed, NAME)).spec.violationPolicy).toBe('Deny');
    expect(model.calls).toHaveLength(1); // approval changes violationPolicy only
  });

  it('adopts the JsPolicy of the earlier operator once, from its last-applied-description annotation', async () => {
    const legacyPolicy = {
      apiVersion: 'policy.jspolicy.com/v1beta1',
      kind: 'JsPolicy',
      metadata: { name: NAME },
      spec: { operations: ['CREATE'], resources: ['pods'], javascript: 'allow();', failurePolicy: 'Ignore' },
    };
    await bed.api.createClusterCustomObject({ ...JSP, body: legacyPolicy });
    const created = await bed.api.createClusterCustomObject({
      ...GPT,
      body: gptPolicy(NAME, { description: DESCRIPTION }, { 'gpt.drzzl.io/last-applied-description': DESCRIPTION }),
    });
    await bed.startOperator();
    const obj = await ready();
    expect(model.calls).toHaveLength(0);
    expect(condition(obj, 'Generated')).toMatchObject({ reason: 'MigratedFromAnnotation' });
    const adopted = await getJsPolicy(bed, NAME);
    expect(adopted.spec.javascript).toBe('allow();');
    expect(adopted.metadata.ownerReferences[0]).toMatchObject({ uid: created.metadata.uid, controller: true });

    // from now on the spec hash decides: a new description regenerates
    await editGPT(bed, NAME, (o) => ({ ...o, spec: { description: `${DESCRIPTION} And in 'dev'.` } }));
    await eventually(
      async () =>
        (await getGPT(bed, NAME)).status?.observedGeneration === 2 &&
        (await getGPT(bed, NAME)).status.phase === 'Ready',
      'regenerated',
    );
    expect(model.calls).toHaveLength(1);
  });

  it('refuses to overwrite a JsPolicy of the same name that it does not own', async () => {
    await bed.api.createClusterCustomObject({
      ...JSP,
      body: {
        apiVersion: 'policy.jspolicy.com/v1beta1',
        kind: 'JsPolicy',
        metadata: { name: NAME },
        spec: { operations: ['CREATE'], resources: ['pods'], javascript: 'allow();' },
      },
    });
    await bed.startOperator();
    await bed.api.createClusterCustomObject({ ...GPT, body: gptPolicy(NAME, { description: DESCRIPTION }) });
    const failed = await eventually(async () => {
      const o = await getGPT(bed, NAME);
      return condition(o, 'Applied')?.status === 'False' ? o : undefined;
    }, 'Applied=False');
    expect(condition(failed, 'Applied')?.reason).toBe('PolicyNotOwned');
    expect((await getJsPolicy(bed, NAME)).spec.javascript).toBe('allow();');
  });

  onTestServer('keeps reconciling across watch disconnects and expired resourceVersions', async () => {
    const op = await bed.startOperator();
    await bed.api.createClusterCustomObject({ ...GPT, body: gptPolicy(NAME, { description: DESCRIPTION }) });
    await ready();
    bed.server!.closeWatches();
    await bed.api.createClusterCustomObject({
      ...GPT,
      body: gptPolicy('second.policy.drzzl.io', {
        description: "Deny pods with the label 'env=prod' in the 'qa' namespace.",
      }),
    });
    await ready('second.policy.drzzl.io');
    bed.server!.compact();
    bed.server!.closeWatches();
    await bed.api.createClusterCustomObject({
      ...GPT,
      body: gptPolicy('third.policy.drzzl.io', {
        description: "Deny pods with the label 'env=prod' in the 'uat' namespace.",
      }),
    });
    await ready('third.policy.drzzl.io');
    expect(op.controller.stats.applied).toBe(3);
  });

  // the CRD's enum refuses mode: Loud on every write; an object stored before the CRD had it still holds it
  onTestServer('reports an invalid spec in the status, naming the field', async () => {
    await bed.startOperator();
    bed.server!.putObject(
      GPT.group,
      GPT.plural,
      gptPolicy('bad.policy.drzzl.io', { description: DESCRIPTION, mode: 'Loud' }),
    );
    const failed = await inPhase('Failed', 'bad.policy.drzzl.io');
    expect(condition(failed, 'Generated')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(failed.status.lastError).toContain('spec.mode');
    expect(model.calls).toHaveLength(0);
  });
});
