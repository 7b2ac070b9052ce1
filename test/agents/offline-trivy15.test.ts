import { afterAll, describe, expect, it } from 'vitest';
import type { KubeObject, TestCase } from '../../common/index.js';
import { createSandbox } from '../../sandbox/index.js';
import { offlineFailures, podWithSpec, refusedOffline } from './offline-harness.js';

// Readings the trivy-checks corpus (bench/corpus/trivy) found wrong. Trivy's check titles name the finding
// ("CPU requests not specified") and its RBAC titles pack a rule into a noun phrase ("No wildcard verb and resource
// roles"); each class the offline planner read as something other than what the text means is now refused or read
// right. Cases are written from the text's meaning.

const sandbox = createSandbox({ isolation: 'inline' });
afterAll(() => sandbox.close());

const failuresOn = (text: string, cases: TestCase[]): Promise<string[]> => offlineFailures(sandbox, { text }, cases);

const podWith = (container: Record<string, unknown>): KubeObject =>
  podWithSpec({ containers: [{ name: 'c', image: 'registry.example.com/app:1.0', ...container }] });

const role = (rules: Array<Record<string, unknown>>): KubeObject => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'Role',
  metadata: { name: 'team-role', namespace: 'default' },
  rules,
});

describe('a finding named without a verb ("CPU requests not specified") is a finding, not a rule', () => {
  it('refuses the verbless "X not specified / not set / not configured" (read before as "no container may set X")', () => {
    // checks/kubernetes/CPU_requests_not_specified.rego (KSV-0015) and memory_requests_not_specified.rego (KSV-0016),
    // titles "CPU requests not specified" / "Memory requests not specified": trivy denies the containers WITHOUT
    // the request (CPU_requests_not_specified_test.rego). The reading banned the request, the inverse.
    for (const text of [
      'CPU requests not specified',
      'Memory requests not specified',
      'CPU limits not set',
      'Liveness probe not configured.',
      'Readiness probes not defined on containers',
    ])
      expect(refusedOffline(text), text).toBe(true);
  });

  it('still reads the rule said with a modal, a verdict or an action', async () => {
    const requested = podWith({ resources: { requests: { cpu: '100m' } } });
    const bare = podWith({});
    const required = [
      { name: 'a CPU request', object: requested, expect: 'allow' as const },
      { name: 'no CPU request', object: bare, expect: 'deny' as const },
    ];
    expect(await failuresOn('Fails if CPU requests are not specified.', required)).toEqual([]);
    expect(await failuresOn('CPU requests must be specified.', required)).toEqual([]);
    expect(refusedOffline('Deny containers whose CPU requests are not specified.')).toBe(false);
  });
});

describe('"wildcard verb and resource" roles: both at once or either, the text does not say', () => {
  it('refuses two wildcard lists joined by "and" (read before as "a wildcard in verbs or resources")', () => {
    // checks/kubernetes/any_any.rego (KSV-0044), title "No wildcard verb and resource roles": a Role is denied only
    // when one rule has '*' in verbs AND in resources (any_any_test.rego: test_any_any_role_no_resource, '*' verbs
    // on resource "aaa", is allowed). The reading denied a '*' in either list.
    for (const text of [
      'No wildcard verb and resource roles',
      'Roles must not use wildcards in verbs and resources.',
      'Roles must not grant wildcard verbs and resources.',
    ])
      expect(refusedOffline(text), text).toBe(true);
  });

  it('still reads one list, or two joined by "or"', async () => {
    const verbOnly = role([{ apiGroups: [''], resources: ['configmaps'], verbs: ['*'] }]);
    const resourceOnly = role([{ apiGroups: [''], resources: ['*'], verbs: ['get'] }]);
    const plain = role([{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }]);
    expect(
      await failuresOn('Roles must not use wildcards in verbs or resources.', [
        { name: "'*' verbs", object: verbOnly, expect: 'deny' },
        { name: "'*' resources", object: resourceOnly, expect: 'deny' },
        { name: 'plain', object: plain, expect: 'allow' },
      ]),
    ).toEqual([]);
    expect(
      await failuresOn('No wildcard verb roles', [
        { name: "'*' verbs", object: verbOnly, expect: 'deny' },
        { name: "'*' resources", object: resourceOnly, expect: 'allow' },
      ]),
    ).toEqual([]);
  });
});
