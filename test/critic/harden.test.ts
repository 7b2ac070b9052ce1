import { describe, expect, it } from 'vitest';
import type { JsPolicy, Plan } from '../../common/index.js';
import { harden, lintPolicy, SYSTEM_NAMESPACES } from '../../critic/index.js';
import { referencePolicies, userProdPodsDraft } from './fixtures.js';
import { haveSharedIntents } from '../support/shared-intents.js';
import { podsPlan } from '../support/plans.js';

const testIntent = { text: "Deny pods with the label 'env=prod' in the 'test' namespace." };
const clusterWide = { text: 'Block privileged containers.' };

function draft(spec: Partial<JsPolicy['spec']>): JsPolicy {
  return {
    apiVersion: 'policy.jspolicy.com/v1beta1',
    kind: 'JsPolicy',
    metadata: { name: 'draft.policyforge.dev' },
    spec: { operations: ['CREATE', 'UPDATE'], resources: ['pods'], javascript: "deny('x')", ...spec },
  };
}

function plan(target: Partial<Plan['target']>): Plan {
  return podsPlan([], { operations: ['CREATE', 'UPDATE'], ...target });
}

describe.skipIf(!haveSharedIntents)('harden', () => {
  it('turns the user’s env=prod draft into a policy scoped to namespace test, failing open, with a short timeout', () => {
    const before = userProdPodsDraft();
    const snapshot = structuredClone(before);
    const hardened = harden(before, undefined, testIntent);
    expect(before).toEqual(snapshot); // the draft is not modified
    expect(hardened.spec.namespaceSelector).toEqual({
      matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['test'] }],
    });
    expect(hardened.spec.failurePolicy).toBe('Ignore');
    expect(hardened.spec.timeoutSeconds).toBe(5);
    expect(hardened.spec.apiGroups).toEqual(['']);
    expect(lintPolicy(hardened, { intent: testIntent }).filter((f) => f.severity === 'blocking')).toEqual([]);
  });

  it('excludes the system namespaces by name for a cluster-wide intent, merging an existing NotIn', () => {
    const hardened = harden(draft({}), undefined, clusterWide);
    expect(hardened.spec.namespaceSelector).toEqual({
      matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [...SYSTEM_NAMESPACES] }],
    });
    const merged = harden(
      draft({
        namespaceSelector: {
          matchLabels: { env: 'dev' },
          matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['legacy'] }],
        },
      }),
      undefined,
      clusterWide,
    );
    expect(merged.spec.namespaceSelector).toEqual({
      matchLabels: { env: 'dev' },
      matchExpressions: [
        { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['legacy', ...SYSTEM_NAMESPACES] },
      ],
    });
  });

  it('excludes, by name, namespaces the intent leaves out, and lint blocks a policy that reaches them', () => {
    const except = { text: "Block privileged pods in every namespace except the 'legacy' namespace." };
    const hardened = harden(draft({}), undefined, except);
    expect(hardened.spec.namespaceSelector).toEqual({
      matchExpressions: [
        { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [...SYSTEM_NAMESPACES, 'legacy'] },
      ],
    });
    expect(lintPolicy(hardened, { intent: except }).filter((f) => f.severity === 'blocking')).toEqual([]);
    const unscoped = harden(draft({}), undefined, clusterWide);
    expect(lintPolicy(unscoped, { intent: except }).find((f) => f.rule === 'safety/all-namespaces')?.message).toContain(
      'legacy, which the intent excludes',
    );
  });

  it('takes exclusions from a final reading, not from the rationale, which may say "except" too', () => {
    const text =
      "Privileged pods must not be created. Teams often ask for every namespace except the 'legacy' namespace to be spared.";
    const read = plan({ namespacesFinal: true });
    const hardened = harden(draft({}), read, { text });
    expect(hardened.spec.namespaceSelector).toEqual({
      matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [...SYSTEM_NAMESPACES] }],
    });
    expect(
      lintPolicy(hardened, { plan: read, intent: { text } }).filter((f) => f.rule === 'safety/all-namespaces'),
    ).toEqual([]);

    const excepting = plan({ namespacesFinal: true, excludedNamespaces: ['legacy'] });
    const scoped = harden(draft({}), excepting, { text });
    expect(scoped.spec.namespaceSelector?.matchExpressions?.[0].values).toContain('legacy');
    expect(
      lintPolicy(hardened, { plan: excepting, intent: { text } }).find((f) => f.rule === 'safety/all-namespaces')
        ?.message,
    ).toContain('legacy');
  });

  it('uses the plan’s namespaces over the intent text, and keeps a selector that is already scoped', () => {
    expect(
      harden(draft({}), plan({ namespaces: ['payments', 'billing'] }), clusterWide).spec.namespaceSelector,
    ).toEqual({
      matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['payments', 'billing'] }],
    });
    const scoped = draft({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'test' } } });
    expect(harden(scoped, undefined, testIntent).spec.namespaceSelector).toEqual({
      matchLabels: { 'kubernetes.io/metadata.name': 'test' },
    });
  });

  it('leaves cluster-scoped resources without a namespace selector', () => {
    const p = draft({ resources: ['clusterrolebindings'], apiGroups: ['rbac.authorization.k8s.io'] });
    expect(harden(p, undefined, clusterWide).spec.namespaceSelector).toBeUndefined();
  });

  it('keeps failurePolicy Fail only on explicit opt-in, and maps the mode to violationPolicy', () => {
    expect(harden(draft({ failurePolicy: 'Fail' }), undefined, testIntent).spec.failurePolicy).toBe('Ignore');
    expect(harden(draft({}), undefined, { ...testIntent, options: { failurePolicy: 'Fail' } }).spec.failurePolicy).toBe(
      'Fail',
    );
    expect(harden(draft({}), undefined, { ...testIntent, options: { mode: 'Enforce' } }).spec.violationPolicy).toBe(
      'Deny',
    );
    expect(harden(draft({}), undefined, { ...testIntent, options: { mode: 'Warn' } }).spec.violationPolicy).toBe(
      'Warn',
    );
    expect(harden(draft({}), undefined, { ...testIntent, options: { mode: 'Audit' } }).spec.violationPolicy).toBe(
      'Dry',
    );
    expect(harden(draft({ violationPolicy: 'Warn' }), undefined, testIntent).spec.violationPolicy).toBe('Warn');
  });

  it('keeps only the operations the intent needs, never adding any', () => {
    expect(harden(draft({ operations: ['*'] }), undefined, testIntent).spec.operations).toEqual(['CREATE', 'UPDATE']);
    expect(
      harden(draft({ operations: ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] }), undefined, testIntent).spec.operations,
    ).toEqual(['CREATE', 'UPDATE']);
    expect(
      harden(draft({ operations: ['CREATE', 'DELETE'] }), plan({ operations: ['CREATE', 'UPDATE'] }), testIntent).spec
        .operations,
    ).toEqual(['CREATE']);
    expect(
      harden(draft({ operations: ['DELETE'] }), undefined, {
        text: 'Nobody may delete a namespace labelled protected=true.',
      }).spec.operations,
    ).toEqual(['DELETE']);
  });

  it('drops status, binding and eviction subresources unless asked, and caps the timeout', () => {
    expect(
      harden(draft({ resources: ['pods', 'pods/status', 'pods/binding'] }), undefined, testIntent).spec.resources,
    ).toEqual(['pods']);
    expect(harden(draft({ resources: ['pods/*'] }), undefined, testIntent).spec.resources).toEqual(['pods']);
    expect(
      harden(draft({ resources: ['pods/eviction'] }), undefined, { text: 'Deny eviction of pods in namespace test.' })
        .spec.resources,
    ).toEqual(['pods/eviction']);
    expect(harden(draft({ timeoutSeconds: 30 }), undefined, testIntent).spec.timeoutSeconds).toBe(5);
    expect(harden(draft({ timeoutSeconds: 2 }), undefined, testIntent).spec.timeoutSeconds).toBe(2);
  });

  it('replaces * resources with the plan’s and picks the built-in group for an ambiguous plural', () => {
    expect(
      harden(draft({ resources: ['*'] }), plan({ resources: ['deployments'], apiGroups: ['apps'] }), clusterWide).spec,
    ).toMatchObject({ resources: ['deployments'], apiGroups: ['apps'] });
    expect(harden(draft({ resources: ['services'] }), undefined, clusterWide).spec.apiGroups).toEqual(['']);
  });

  it.each(referencePolicies().map((r) => [r.id, r] as const))(
    'reference policy %s lints without blocking findings after harden',
    (_id, ref) => {
      const intent = { text: ref.suite.intent };
      const findings = lintPolicy(harden(ref.policy, undefined, intent), { intent });
      expect(findings.filter((f) => f.severity === 'blocking')).toEqual([]);
    },
  );
});

describe('harden and the cluster’s own deletes', () => {
  // helper-objects found it in the sandbox: "ConfigMaps cannot be deleted" denied the namespace controller, which
  // empties a Namespace being deleted (kube-root-ca.crt is in every one), so every Namespace stayed Terminating.
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'kube-root-ca.crt', namespace: 'team-a' },
  };
  const noDeletes = (): JsPolicy => ({
    apiVersion: 'policy.jspolicy.com/v1beta1',
    kind: 'JsPolicy',
    metadata: { name: 'no-configmap-deletes.policyforge.dev' },
    spec: { operations: ['DELETE'], resources: ['configmaps'], javascript: "deny('ConfigMaps may not be deleted');" },
  });
  const deleteBy = (username: string) => ({
    name: `DELETE by ${username}`,
    operation: 'DELETE' as const,
    oldObject: configMap,
    userInfo: { username, groups: ['system:authenticated'] },
  });

  it('lets the namespace controller and the garbage collector delete; anyone else is still denied', async () => {
    const { createSandbox } = await import('../../sandbox/index.js');
    const sandbox = createSandbox({ isolation: 'inline' });
    try {
      const hardened = harden(
        noDeletes(),
        plan({ operations: ['DELETE'], resources: ['configmaps'], apiGroups: [''] }),
      );
      const run = await sandbox.runSuite(hardened, [
        { ...deleteBy('system:serviceaccount:kube-system:namespace-controller'), expect: 'allow' },
        { ...deleteBy('system:serviceaccount:kube-system:generic-garbage-collector'), expect: 'allow' },
        { ...deleteBy('alice'), expect: 'deny' },
        { ...deleteBy('system:serviceaccount:team-a:namespace-controller'), expect: 'deny' },
        { name: 'DELETE with no userInfo', operation: 'DELETE', oldObject: configMap, expect: 'deny' },
      ]);
      expect(run.cases.filter((c) => !c.passed).map((c) => `${c.name}: ${c.failure}`)).toEqual([]);
    } finally {
      await sandbox.close();
    }
  });

  it('adds nothing to a policy that does not act on DELETE, and adds it once', () => {
    expect(harden(draft({})).spec.javascript).toBe("deny('x')");
    const once = harden(noDeletes());
    expect(harden(once).spec.javascript).toBe(once.spec.javascript);
    expect(once.spec.javascript?.match(/namespace-controller/g)).toHaveLength(1);
  });
});
