import { describe, expect, it } from 'vitest';
import { namespaceExclusionsFromIntent, namespacesFromIntent, selectedNames, selectorMaySelect } from '../../critic/index.js';

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
    const sel = { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn' as const, values: ['kube-system'] }], matchLabels: { env: 'prod' } };
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
