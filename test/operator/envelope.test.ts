import { afterAll, afterEach, beforeAll, beforeEach, describe, expect } from 'vitest';
import { canonicalJson, type JsPolicy } from '../../common/index.js';
import { createBed, eventually, getGPT, getJsPolicy, gptPolicy, onTestServer, GPT, type Bed } from './harness.js';
import { openOfflineLoop, type OfflineLoop } from './offline-loop.js';

// Issue 16: the policy verified is the policy applied. The loop wraps every draft in common's one envelope
// (ownJsPolicy) before verifying it; the operator wraps the loop's result in the same envelope with the same
// owner. Here the real loop (offline, as the operator runs without a model key) generates, and the JsPolicy
// the API server stores is compared, in canonical JSON, with the one the job returned: only violationPolicy
// may differ, and only as the mode and rollout stage say.

let loop: OfflineLoop;
let bed: Bed;

beforeAll(async () => {
  loop = await openOfflineLoop('pf-envelope-');
});
afterAll(async () => loop.close());
beforeEach(async () => {
  bed = await createBed((intent, ctx) => loop.generator.generate(intent, { onProgress: ctx.onProgress }));
});
afterEach(async () => bed.close());

/** The stored object without what the API server adds (uid, resourceVersion, creationTimestamp, generation). */
function asSent(stored: any): JsPolicy {
  const {
    uid: _uid,
    resourceVersion: _resourceVersion,
    creationTimestamp: _creationTimestamp,
    generation: _generation,
    managedFields: _managedFields,
    ...metadata
  } = stored.metadata;
  return { apiVersion: stored.apiVersion, kind: stored.kind, metadata, spec: stored.spec } as JsPolicy;
}

async function loopResult(name: string, phase: string): Promise<{ applied: JsPolicy; returned: JsPolicy }> {
  const obj = await eventually(
    async () => {
      const o = await getGPT(bed, name);
      if (o.status?.phase === 'Failed') throw new Error(`generation failed: ${o.status.lastError}`);
      return o.status?.phase === phase ? o : undefined;
    },
    `${name} ${phase}`,
    90_000,
  );
  const job = await bed.queue.getJob(obj.status.jobId);
  return { applied: asSent(await getJsPolicy(bed, obj.status.policyName)), returned: job!.result!.policy! };
}

describe('the JsPolicy the operator applies', () => {
  onTestServer('is byte for byte (canonical JSON) the one the loop returned, with the mode applied', async () => {
    await bed.startOperator();
    const name = 'services-warn.drzzl.io';
    const description = 'Services of type NodePort are not allowed in namespace shop.';
    await bed.api.createClusterCustomObject({ ...GPT, body: gptPolicy(name, { description, mode: 'Warn' }) });
    const { applied, returned } = await loopResult(name, 'Ready');
    expect(returned.spec.violationPolicy).toBe('Warn');
    expect(returned.metadata.name).toBe(name);
    expect(canonicalJson(applied)).toBe(canonicalJson(returned));
  });

  onTestServer(
    "is the loop's with only violationPolicy changed to the rollout stage's, under a staged rollout",
    async () => {
      await bed.startOperator();
      const name = 'short';
      await bed.api.createClusterCustomObject({
        ...GPT,
        body: gptPolicy(name, {
          description: 'Services of type NodePort are not allowed in namespace shop.',
          rollout: { strategy: 'Staged', window: '1h' },
        }),
      });
      const { applied, returned } = await loopResult(name, 'RollingOut');
      // a short owner name gets the owner's API group, in the loop as in the operator
      expect(returned.metadata.name).toBe('short.gpt.drzzl.io');
      expect(returned.spec.violationPolicy).toBe('Deny');
      expect(applied.spec.violationPolicy).toBe('Dry');
      const expected = { ...returned, spec: { ...returned.spec, violationPolicy: 'Dry' } };
      expect(canonicalJson(applied)).toBe(canonicalJson(expected));
    },
  );
});
