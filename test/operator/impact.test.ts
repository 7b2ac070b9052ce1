import { afterEach, describe, expect } from 'vitest';
import { condition, createBed, editGPT, eventually, getGPT, getJsPolicy, gptPolicy, onTestServer } from './harness.js';
import { GPT, POD_TYPE, type Bed } from './harness.js';
import { scriptedGenerator, type ScriptedGenerator } from './scripted-generator.js';

// Issue 14 item 4: before a draft's JsPolicy first enforces (and after each regeneration) the operator lists
// the objects it matches, read-only, replays them through it in a sandbox child process and writes
// status.impact with the condition ImpactAssessed. Under approval Auto a draft that would deny existing
// objects stays in Dry until a person approves that draft.

const NAME = 'no-prod-pods-in-test-ns.drzzl.io';
const DESCRIPTION = "Deny pods with the label 'env=prod' in the 'test' namespace.";
const CLOCK = new Date('2026-12-01T08:00:00.250Z');

let bed: Bed | undefined;
let model: ScriptedGenerator;
afterEach(async () => {
  await bed?.close();
  bed = undefined;
});

const pod = (namespace: string, name: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels },
  spec: {},
});

async function startWithPods(): Promise<Bed> {
  model = scriptedGenerator();
  const b = await createBed(model.generate, { types: [POD_TYPE] });
  b.server!.putObject('', 'pods', pod('test', 'api-prod', { env: 'prod' }));
  b.server!.putObject('', 'pods', pod('test', 'worker-prod', { env: 'prod' }));
  b.server!.putObject('', 'pods', pod('test', 'api-dev', { env: 'dev' }));
  // outside the namespace the draft selects: neither listed nor counted
  b.server!.putObject('', 'pods', pod('shop', 'shop-prod', { env: 'prod' }));
  await b.startOperator({ controller: { now: () => CLOCK } });
  return b;
}

const annotate = async (b: Bed, annotations: Record<string, string>) =>
  editGPT(b, NAME, (o) => ({
    ...o,
    metadata: { ...o.metadata, annotations: { ...o.metadata.annotations, ...annotations } },
  }));

describe('the impact preview in the operator', () => {
  onTestServer(
    'holds a draft that would deny existing objects in Dry under approval Auto, until a person approves that draft',
    async () => {
      bed = await startWithPods();
      await bed.api.createClusterCustomObject({ ...GPT, body: gptPolicy(NAME, { description: DESCRIPTION }) });
      const held = await eventually(async () => {
        const o = await getGPT(bed!, NAME);
        return condition(o, 'ImpactAssessed') && o.status.phase === 'AwaitingApproval' ? o : undefined;
      }, 'the draft assessed and held');

      // reasons are grouped across objects: the object's own namespace and name read as placeholders
      const reason = `403 ${DESCRIPTION.replace("'test'", "'<namespace>'")}`;
      expect(held.status.impact).toEqual({
        jobId: held.status.jobId,
        checked: 3,
        wouldDeny: 2,
        wouldWarn: 0,
        examples: [
          { object: 'Pod test/api-prod', verdict: 'deny', reason },
          { object: 'Pod test/worker-prod', verdict: 'deny', reason },
        ],
        when: '2026-12-01T08:00:00Z',
      });
      expect(condition(held, 'ImpactAssessed')).toMatchObject({ status: 'True', reason: 'WouldDeny' });
      const assessed = condition(held, 'ImpactAssessed').message;
      expect(assessed).toContain('would deny 2 of 3 existing object(s), e.g. Pod test/api-prod');
      expect(condition(held, 'Ready')).toMatchObject({ status: 'False', reason: 'ImpactNeedsApproval' });
      const approve = `kubectl annotate gptpolicy ${NAME} gpt.drzzl.io/approved=${held.status.specHash}`;
      expect(condition(held, 'Ready').message).toContain(approve);
      expect((await getJsPolicy(bed, NAME)).spec.violationPolicy).toBe('Dry');
      // read-only: every request about pods was a GET (discovery, then paged lists of the selected namespace only)
      const podRequests = bed.server!.requests.filter((r) => r.path.includes('/pods'));
      expect(podRequests.length).toBeGreaterThan(0);
      expect(podRequests.every((r) => r.method === 'GET' && r.path === '/api/v1/namespaces/test/pods')).toBe(true);

      // kubectl get gptpolicies shows the would-deny count
      const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io';
      const res = await fetch(`${bed.server!.url}/apis/gpt.drzzl.io/v1/gptpolicies`, { headers: { accept } });
      const table = (await res.json()) as any;
      const column = table.columnDefinitions.findIndex((c: any) => c.name === 'Would-Deny');
      expect(table.rows[0].cells[column]).toBe(2);

      // approving this draft (its spec hash) enforces it, without generating again
      await annotate(bed, { 'gpt.drzzl.io/approved': held.status.specHash });
      const ready = await eventually(async () => {
        const o = await getGPT(bed!, NAME);
        return o.status.phase === 'Ready' ? o : undefined;
      }, 'Ready once approved');
      expect(condition(ready, 'Ready')).toMatchObject({ status: 'True', reason: 'Ready' });
      expect((await getJsPolicy(bed, NAME)).spec.violationPolicy).toBe('Deny');
      expect(model.calls).toHaveLength(1);

      // a new description is a new draft: assessed again, and the approval of the old one does not carry over
      const changed = "Deny pods with the label 'env=prod' in the 'shop' namespace.";
      await editGPT(bed, NAME, (o) => ({ ...o, spec: { description: changed } }));
      const again = await eventually(async () => {
        const o = await getGPT(bed!, NAME);
        return o.status.observedGeneration === 2 && o.status.phase === 'AwaitingApproval' ? o : undefined;
      }, 'the new draft assessed and held');
      expect(again.status.impact).toMatchObject({
        jobId: again.status.jobId,
        checked: 1,
        wouldDeny: 1,
        examples: [{ object: 'Pod shop/shop-prod', verdict: 'deny' }],
      });
      expect(again.status.impact.jobId).not.toBe(held.status.jobId);
      expect((await getJsPolicy(bed, NAME)).spec.violationPolicy).toBe('Dry');
    },
  );

  onTestServer('enforces at once when the draft would deny none of the existing objects', async () => {
    bed = await startWithPods();
    const description = "Deny pods with the label 'env=prod' in the 'empty' namespace.";
    await bed.api.createClusterCustomObject({ ...GPT, body: gptPolicy(NAME, { description }) });
    const ready = await eventually(async () => {
      const o = await getGPT(bed!, NAME);
      return o.status?.phase === 'Ready' ? o : undefined;
    }, 'Ready');
    expect(ready.status.impact).toMatchObject({ checked: 0, wouldDeny: 0, wouldWarn: 0, examples: [] });
    expect(condition(ready, 'ImpactAssessed')).toMatchObject({ status: 'True', reason: 'NoDenials' });
    expect((await getJsPolicy(bed, NAME)).spec.violationPolicy).toBe('Deny');
  });

  onTestServer(
    'reports an impact it cannot assess (403 listing pods) and keeps the draft in Dry under approval Auto',
    async () => {
      bed = await startWithPods();
      const user = 'system:serviceaccount:policyforge-system:policyforge-operator';
      const message = `pods is forbidden: User "${user}" cannot list resource "pods"`;
      bed.server!.inject({ method: 'GET', path: '/pods', status: 403, message, times: 1000 });
      await bed.api.createClusterCustomObject({ ...GPT, body: gptPolicy(NAME, { description: DESCRIPTION }) });
      const held = await eventually(async () => {
        const o = await getGPT(bed!, NAME);
        return condition(o, 'ImpactAssessed') && o.status.phase === 'AwaitingApproval' ? o : undefined;
      }, 'the unknown impact reported');
      expect(condition(held, 'ImpactAssessed')).toMatchObject({ status: 'False', reason: 'ImpactUnknown' });
      expect(held.status.impact.error).toContain('HTTP 403');
      expect(held.status.impact.checked).toBeUndefined();
      expect(condition(held, 'Ready').message).toContain('its impact on existing objects is unknown');
      expect((await getJsPolicy(bed, NAME)).spec.violationPolicy).toBe('Dry');
    },
  );

  onTestServer(
    'can be turned off (impact: false): no status.impact, no object listed, enforced as before',
    async () => {
      model = scriptedGenerator();
      bed = await createBed(model.generate, { types: [POD_TYPE] });
      bed.server!.putObject('', 'pods', pod('test', 'api-prod', { env: 'prod' }));
      await bed.startOperator({ controller: { now: () => CLOCK, impact: false } });
      await bed.api.createClusterCustomObject({ ...GPT, body: gptPolicy(NAME, { description: DESCRIPTION }) });
      const ready = await eventually(async () => {
        const o = await getGPT(bed!, NAME);
        return o.status?.phase === 'Ready' ? o : undefined;
      }, 'Ready without an assessment');
      expect(ready.status.impact).toBeUndefined();
      expect(condition(ready, 'ImpactAssessed')).toBeUndefined();
      expect(bed.server!.requests.some((r) => r.path.includes('/pods'))).toBe(false);
    },
  );
});
