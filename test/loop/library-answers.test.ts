import { describe, expect, it } from 'vitest';
import { generatePolicy } from '../../src/loop/index.js';
import type { JsPolicy } from '../../common/index.js';
import { normaliseIntent } from '../../skills/index.js';
import { freshLoopWorldEachTest } from './helpers.js';

// The library answers an identical intent without a model call, but only when the request asks for no
// other scope: options outside the text (GPTPolicy spec.namespaces, spec.failurePolicy) decide what the
// policy may touch, and a stored cluster-wide answer must never serve a request scoped to a namespace.
const NODEPORT = 'Services of type NodePort are not allowed.';

const world = freshLoopWorldEachTest();

function selectedNamespaces(spec: {
  namespaceSelector?: { matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> };
}): string[] {
  return (spec.namespaceSelector?.matchExpressions ?? [])
    .filter((e) => e.key === 'kubernetes.io/metadata.name' && e.operator === 'In')
    .flatMap((e) => e.values ?? []);
}

describe('answers from the library', () => {
  it('serve the same intent with the same scope, without a model call', async () => {
    const first = await generatePolicy({ text: NODEPORT }, { library: world.library, sandbox: world.sandbox });
    expect(first.source).toBe('offline');
    const again = await generatePolicy({ text: NODEPORT }, { library: world.library, sandbox: world.sandbox });
    expect(again.source).toBe('library');
    expect(again.usage.calls).toBe(0);
    // The answer says what it does, rendered again from the stored plan, and that it was never judged.
    expect(again.restatement?.summary).toBe(first.restatement?.summary);
    expect(again.restatement?.text).toMatch(
      /^judged: no — the reading was not independently checked \(not judged when it was generated\)$/m,
    );
    expect(again.policy?.metadata.annotations?.['policyforge.dev/restatement']).toBe(
      first.policy?.metadata.annotations?.['policyforge.dev/restatement'],
    );
  });

  it('never serve a request scoped to namespaces with a stored cluster-wide policy', async () => {
    const clusterWide = await generatePolicy({ text: NODEPORT }, { library: world.library, sandbox: world.sandbox });
    expect(selectedNamespaces(clusterWide.policy!.spec)).toEqual([]);

    const scoped = await generatePolicy(
      { text: NODEPORT, options: { namespaces: ['shop'] } },
      { library: world.library, sandbox: world.sandbox },
    );
    expect(scoped.status, scoped.reason).toBe('succeeded');
    expect(scoped.source).not.toBe('library');
    expect(selectedNamespaces(scoped.policy!.spec)).toEqual(['shop']);
  });

  it('never serve a request that asks for failurePolicy Fail with a stored Ignore policy', async () => {
    const first = await generatePolicy({ text: NODEPORT }, { library: world.library, sandbox: world.sandbox });
    expect(first.policy!.spec.failurePolicy).toBe('Ignore');

    const failClosed = await generatePolicy(
      { text: NODEPORT, options: { failurePolicy: 'Fail' } },
      { library: world.library, sandbox: world.sandbox },
    );
    expect(failClosed.source).not.toBe('library');
    expect(failClosed.policy?.spec.failurePolicy).toBe('Fail');
  });

  // Issue 11: values are matched exactly. The lookup key folds neither case nor quoted text.
  it("never answer 'env=PROD' with the policy stored for 'env=prod'", async () => {
    const lower = await generatePolicy(
      { text: "Deny pods with the label 'env=prod' in the 'test' namespace." },
      { library: world.library, sandbox: world.sandbox },
    );
    expect(lower.status, lower.reason).toBe('succeeded');
    const same = await generatePolicy(
      { text: 'deny pods with the label env=prod in the test namespace' },
      { library: world.library, sandbox: world.sandbox },
    );
    expect(same.source).toBe('library');

    const upper = await generatePolicy(
      { text: "Deny pods with the label 'env=PROD' in the 'test' namespace." },
      { library: world.library, sandbox: world.sandbox },
    );
    expect(upper.source).not.toBe('library');
    expect(upper.policy?.spec.javascript ?? '').not.toMatch(/"prod"/);
  });

  it('never answer from a policy stored under a key an older, case-folding normaliser wrote', async () => {
    const stored = await generatePolicy({ text: NODEPORT }, { library: world.library, sandbox: world.sandbox });
    const kept = await world.store.findPolicy(normaliseIntent(NODEPORT));
    // As an older store holds it: the intent said NODEPORT, the key was folded to nodeport.
    await world.store.putPolicy({ ...kept!, intent: 'Services of type NODEPORT are not allowed.' });
    expect(stored.status).toBe('succeeded');
    expect(await world.library.lookupPolicy(NODEPORT)).toBeUndefined();
  });
});

describe('answers from the library respect what this request allows', () => {
  const PRIVILEGED = 'Block privileged containers.';

  it('never serve a request that keeps pod controllers out with a stored answer that covers them', async () => {
    const first = await generatePolicy({ text: PRIVILEGED }, { library: world.library, sandbox: world.sandbox });
    expect(first.status, first.reason).toBe('succeeded');
    expect(first.policy!.spec.resources).toContain('deployments');

    const podsOnly = await generatePolicy(
      { text: PRIVILEGED, options: { podControllers: false } },
      { library: world.library, sandbox: world.sandbox },
    );
    expect(podsOnly.source).not.toBe('library');
    expect(podsOnly.policy!.spec.resources).not.toContain('deployments');
  });

  it('never serve a stored policy that deletes to a request that did not approve deletes', async () => {
    const text = 'Delete ConfigMaps named scratch when they are created in namespace sandbox.';
    const plan = {
      target: {
        type: 'Controller' as const,
        resources: ['configmaps'],
        apiGroups: [''],
        apiVersions: ['v1'],
        operations: ['CREATE' as const],
        scope: 'Namespaced' as const,
        namespaces: ['sandbox'],
      },
      steps: [],
      tests: [],
      sideEffects: [{ fn: 'remove' as const, kinds: ['ConfigMap'], reason: 'the intent asks to delete them' }],
    };
    const policy: JsPolicy = {
      apiVersion: 'policy.jspolicy.com/v1beta1',
      kind: 'JsPolicy',
      metadata: { name: 'delete-scratch.policyforge.dev' },
      spec: {
        type: 'Controller',
        operations: ['CREATE'],
        resources: ['configmaps'],
        javascript: "if (request.name === 'scratch') remove(request.object);",
      },
    };
    await world.library.learn(
      {
        status: 'succeeded',
        reason: 'approved deletes',
        intent: { text, options: { allowDeletes: true } },
        plan,
        policy,
        safeToApply: true,
        rounds: [],
        usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0, calls: 0 },
        skillsUsed: [],
        skillsAdded: [],
        source: 'model',
        durationMs: 0,
      },
      [],
    );
    const approved = await generatePolicy(
      { text, options: { allowDeletes: true } },
      { library: world.library, sandbox: world.sandbox },
    );
    expect(approved.source).toBe('library');

    const unapproved = await generatePolicy({ text }, { library: world.library, sandbox: world.sandbox }).catch(
      (err: Error) => err,
    );
    expect(unapproved instanceof Error ? 'refused' : unapproved.source).not.toBe('library');
  });
});
