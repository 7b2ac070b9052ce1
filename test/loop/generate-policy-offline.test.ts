import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offlineFamilies } from '../../agents/index.js';
import { isPolicyforgeError, type GenerationResult, type Intent } from '../../common/index.js';
import { loadSuite } from '../../sandbox/index.js';
import { generatePolicy } from '../../src/loop/index.js';
import { sharedIntent, sharedSuiteFiles } from '../support/shared-intents.js';
import { loopWorld, type LoopWorld } from './helpers.js';

const suites = sharedSuiteFiles();

let world: LoopWorld;
beforeAll(async () => {
  world = await loopWorld();
});
afterAll(() => world.close());

describe('generatePolicy offline (no model): the same loop and the same verify()', () => {
  it.each(suites)('%s: generated without a model, verified, and it passes the shared suite', async (file) => {
    const suite = await loadSuite(sharedIntent(file));
    const result = await generatePolicy({ text: suite.intent }, { library: world.library, sandbox: world.sandbox });
    expect(result.status, result.reason).toBe('succeeded');
    expect(result.source).toBe('offline');
    expect(result.safeToApply).toBe(true);
    expect(result.usage.calls).toBe(0);
    expect(result.rounds).toHaveLength(1);
    expect(result.rounds[0].report?.passed).toBe(true);
    expect(result.policy?.spec.failurePolicy).toBe('Ignore');
    // The generated policy was never shown this suite: run it now, as `policyforge test` would.
    const shared = await world.sandbox.runSuite(result.policy!, suite);
    expect(shared.cases.filter((c) => !c.passed).map((c) => `${c.name}: ${c.failure}`)).toEqual([]);
  });

  it.each(offlineFamilies().flatMap((f) => f.examples.map((e) => [f.id, e])))(
    '%s: the documented example "%s" is verified through the loop',
    async (id, text) => {
      const result = await generatePolicy({ text }, { library: world.library, sandbox: world.sandbox });
      expect(result.status, result.reason).toBe('succeeded');
      expect(result.plan?.rationale).toContain(`offline family ${id}`);
      expect(result.plan?.tests.some((c) => c.expect === 'allow')).toBe(true);
    },
  );

  it('scopes the done-when intent to namespace test and keeps system namespaces out', async () => {
    const result = await generatePolicy(
      { text: "Deny pods with the label 'env=prod' in the 'test' namespace." },
      { library: world.library, sandbox: world.sandbox },
    );
    const spec = result.policy!.spec;
    expect(spec.namespaceSelector?.matchExpressions).toContainEqual({
      key: 'kubernetes.io/metadata.name',
      operator: 'In',
      values: ['test'],
    });
    expect(spec).toMatchObject({ type: 'Validating', failurePolicy: 'Ignore' });
    // Pods, and the pod templates of the pod controllers (a Deployment of env=prod pods is denied up front).
    expect(spec.resources).toEqual(expect.arrayContaining(['pods', 'deployments', 'cronjobs']));
    expect(spec.apiGroups).toEqual(expect.arrayContaining(['', 'apps', 'batch']));
    expect(spec.operations).not.toContain('DELETE');
    expect(result.policy!.metadata.name).toMatch(/\.policyforge\.dev$/);
  });

  it('leaves out the namespaces an intent excepts', async () => {
    const result = await generatePolicy(
      { text: 'Block privileged containers in every namespace except the sandbox namespace.' },
      { library: world.library, sandbox: world.sandbox },
    );
    expect(result.status, result.reason).toBe('succeeded');
    expect(result.plan?.target.namespaces).toEqual([]);
    const privileged = (ns: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: ns },
      spec: { containers: [{ name: 'a', image: 'registry.example.com/a:1', securityContext: { privileged: true } }] },
    });
    const run = await world.sandbox.runSuite(result.policy!, [
      { name: 'privileged in sandbox is allowed', object: privileged('sandbox'), expect: 'allow' },
      { name: 'privileged in shop is denied', object: privileged('shop'), expect: 'deny' },
    ]);
    expect(run.cases.filter((c) => !c.passed).map((c) => `${c.name}: ${c.failure}`)).toEqual([]);
  });

  it('answers an identical intent from the library with no rounds, and marks the source', async () => {
    const text = 'Block privileged containers in namespace payments.';
    const first = await generatePolicy({ text }, { library: world.library, sandbox: world.sandbox });
    expect(first.status).toBe('succeeded');
    const again: GenerationResult = await generatePolicy(
      { text: '  block privileged containers in namespace payments ' },
      { library: world.library, sandbox: world.sandbox },
    );
    expect(again.source).toBe('library');
    expect(again.rounds).toEqual([]);
    expect(again.policy?.spec.javascript).toBe(first.policy?.spec.javascript);
    expect(again.safeToApply).toBe(true);
  });

  it('owns the policy by the GPTPolicy and names it after it', async () => {
    const owner = { apiVersion: 'gpt.drzzl.io/v1', kind: 'GPTPolicy', name: 'no-nodeports', uid: '1234-abcd' };
    const result = await generatePolicy(
      { text: 'Services of type NodePort are not allowed in namespace shop.', owner },
      { library: world.library, sandbox: world.sandbox },
    );
    // common's one envelope: a short owner name takes the owner's API group, as the operator's JsPolicies always have
    expect(result.policy?.metadata.name).toBe('no-nodeports.gpt.drzzl.io');
    expect(result.policy?.metadata.ownerReferences).toEqual([{ ...owner, controller: true, blockOwnerDeletion: true }]);
  });

  it('verifies in Enforce terms and applies the GPTPolicy mode (Warn → violationPolicy Warn) to the result', async () => {
    const text = 'Services of type LoadBalancer are not allowed in namespace edge.';
    const result = await generatePolicy(
      { text, options: { mode: 'Warn' } },
      { library: world.library, sandbox: world.sandbox },
    );
    expect(result.status, result.reason).toBe('succeeded');
    expect(result.policy?.spec.violationPolicy).toBe('Warn');
    expect(result.rounds[0].draft?.spec.violationPolicy).not.toBe('Warn');
    const lb = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's', namespace: 'edge' },
      spec: { type: 'LoadBalancer', ports: [{ port: 80 }] },
    };
    const run = await world.sandbox.runSuite(result.policy!, [
      { name: 'LB in edge is admitted with a warning', object: lb, expect: 'warn' },
    ]);
    expect(run.passed).toBe(true);
    // The same text without a mode, answered from the library, enforces again.
    const again = await generatePolicy({ text }, { library: world.library, sandbox: world.sandbox });
    expect(again.source).toBe('library');
    expect(again.policy?.spec.violationPolicy).not.toBe('Warn');
  });

  it('fails fast with PF_ERR_OFFLINE_UNSUPPORTED for an intent no family understands', async () => {
    const err = await generatePolicy(
      { text: 'Make the cluster cheaper.' },
      { library: world.library, sandbox: world.sandbox },
    ).catch((e) => e);
    expect(isPolicyforgeError(err, 'PF_ERR_OFFLINE_UNSUPPORTED')).toBe(true);
  });

  it('rejects an empty intent, a bad maxRounds or an unknown option with PF_ERR_INTENT_INVALID naming the field', async () => {
    await expect(
      generatePolicy({ text: '  ' }, { library: world.library, sandbox: world.sandbox }),
    ).rejects.toMatchObject({ code: 'PF_ERR_INTENT_INVALID', message: 'intent: text: must not be empty' });
    // the limits are common/schemas.ts's, as the API, the queue and the CLI apply them
    await expect(
      generatePolicy(
        { text: 'Block privileged containers.', options: { maxRounds: 21 } },
        { library: world.library, sandbox: world.sandbox },
      ),
    ).rejects.toMatchObject({
      code: 'PF_ERR_INTENT_INVALID',
      message: 'intent: options.maxRounds: must be a whole number in 1..20, got 21',
    });
    const unknown = { text: 'Block privileged containers.', options: { rounds: 3 } } as unknown as Intent;
    await expect(generatePolicy(unknown, { library: world.library, sandbox: world.sandbox })).rejects.toMatchObject({
      code: 'PF_ERR_INTENT_INVALID',
      message: 'intent: options.rounds: is not a known field',
    });
  });
});
