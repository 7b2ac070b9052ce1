import { describe, expect, it } from 'vitest';
import { builtinCatalog } from '../../catalog/index.js';
import type { Plan } from '../../common/index.js';
import {
  harden,
  lintPolicy,
  namespaceExclusionsFromIntent,
  namespacesFromIntent,
  selectedNames,
  selectorMaySelect,
} from '../../critic/index.js';

describe('namespacesFromIntent', () => {
  it.each([
    ['In the prod namespace, set imagePullPolicy to Always on every container of a pod.', ['prod']],
    ["Deny pods with the label 'env=prod' in the 'test' namespace.", ['test']],
    ['Deployments in the prod namespace need at least 2 replicas.', ['prod']],
    ['Pods in namespaces team-a, team-b and team-c must set limits.', ['team-a', 'team-b', 'team-c']],
    ['Pods in namespace payments must not run as root.', ['payments']],
    ['Ingresses in the `staging` or `qa` namespaces must use TLS.', ['staging', 'qa']],
    ['Deny services of type LoadBalancer in namespace "edge".', ['edge']],
  ])('finds the namespaces named in %j', (text, expected) => {
    expect(namespacesFromIntent(text)).toEqual(expected);
  });

  it.each([
    'Nobody may delete a namespace labelled protected=true.',
    'Give every new Namespace the label team=platform unless it already has a team label.',
    'Warn, but do not block, when a Deployment has a container without a readinessProbe.',
    'Block privileged pods in every namespace.',
    'Deny privileged pods in system namespaces.',
    'Pods in all namespaces must set limits.',
    "Block privileged pods in every namespace except the 'kube-system' namespace.",
  ])('finds none in %j', (text) => {
    expect(namespacesFromIntent(text)).toEqual([]);
  });
});

describe('selector analysis by namespace name', () => {
  it('decides only kubernetes.io/metadata.name requirements; other labels might be present', () => {
    const sel = {
      matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn' as const, values: ['kube-system'] }],
      matchLabels: { env: 'prod' },
    };
    expect(selectorMaySelect(sel, 'kube-system')).toBe(false);
    expect(selectorMaySelect(sel, 'default')).toBe(true);
    expect(selectorMaySelect(undefined, 'kube-system')).toBe(true);
    expect(selectedNames({ matchLabels: { 'kubernetes.io/metadata.name': 'test' } })).toEqual(['test']);
    expect(selectedNames(sel)).toBeUndefined();
  });
});

describe('namespaceExclusionsFromIntent', () => {
  it.each([
    ["Block privileged pods in every namespace except the 'legacy' namespace.", ['legacy']],
    ['Require limits on pods outside namespaces sandbox and scratch.', ['sandbox', 'scratch']],
    ['Deny LoadBalancer services in all namespaces other than the edge namespace.', ['edge']],
    ["Deny pods with the label 'env=prod' in the 'test' namespace.", []],
    ['Block privileged containers, except when the intent says otherwise.', []],
  ])('finds the namespaces %j leaves out', (text, expected) => {
    expect(namespaceExclusionsFromIntent(text)).toEqual(expected);
  });
});

describe('a namespace a permission is limited to is where the thing is allowed, not where the policy acts', () => {
  it.each([
    ['LoadBalancer services are only allowed in the edge namespace.', 'edge'],
    ['Services of type LoadBalancer may only be created in namespace edge.', 'edge'],
    ["Pods are permitted only in the 'sandbox' namespace.", 'sandbox'],
    ['Privileged pods are restricted to the ops namespace.', 'ops'],
  ])('%j: the policy acts everywhere except %s', (text, allowedIn) => {
    expect(namespacesFromIntent(text)).toEqual([]);
    expect(namespaceExclusionsFromIntent(text)).toEqual([allowedIn]);
  });

  it.each([
    ['Containers can only run as non-root in the prod namespace.', 'prod'],
    ['Deny pods only in the test namespace.', 'test'],
  ])('%j still scopes to %s: the "only" qualifies something else', (text, scope) => {
    expect(namespacesFromIntent(text)).toEqual([scope]);
    expect(namespaceExclusionsFromIntent(text)).toEqual([]);
  });

  it('hardens an "only allowed in edge" plan to every namespace but edge, and the lint accepts it', () => {
    const intent = { text: 'LoadBalancer services are only allowed in the edge namespace.' };
    const plan: Plan = {
      target: {
        type: 'Validating',
        resources: ['services'],
        apiGroups: [''],
        apiVersions: ['v1'],
        operations: ['CREATE', 'UPDATE'],
        scope: 'Namespaced',
        namespaces: [],
      },
      steps: [],
      tests: [],
    };
    const policy = harden(
      {
        apiVersion: 'policy.jspolicy.com/v1beta1',
        kind: 'JsPolicy',
        metadata: { name: 'lb.policyforge.dev' },
        spec: { operations: ['CREATE', 'UPDATE'], resources: ['services'], javascript: 'allow();' },
      },
      plan,
      intent,
      builtinCatalog(),
    );
    const names = policy.spec.namespaceSelector?.matchExpressions?.find((e) => e.operator === 'NotIn')?.values ?? [];
    expect(names).toContain('edge');
    expect(policy.spec.namespaceSelector?.matchExpressions?.some((e) => e.operator === 'In')).toBe(false);
    expect(
      lintPolicy(policy, { catalog: builtinCatalog(), plan, intent }).filter((f) => f.rule === 'safety/all-namespaces'),
    ).toEqual([]);
  });
});
