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

describe('widened: a rule cited from a standard ("According to <standard> \'X\', <rule>") is the rule', () => {
  const hostPathPod = podWithSpec({ volumes: [{ name: 'h', hostPath: { path: '/var/log' } }] });
  const emptyDirPod = podWithSpec({ volumes: [{ name: 'e', emptyDir: {} }] });
  const hostPathCases: TestCase[] = [
    { name: 'a hostPath volume', object: hostPathPod, expect: 'deny' },
    { name: 'an emptyDir volume', object: emptyDirPod, expect: 'allow' },
    { name: 'no volumes', object: podWithSpec({}), expect: 'allow' },
  ];

  it('reads the rule after the attribution as it reads the rule alone', async () => {
    // checks/kubernetes/hostpath_volumes_mounted.rego (KSV-0023): "According to pod security standard 'HostPath
    // Volumes', HostPath volumes must be forbidden." was refused for the attribution's words.
    for (const text of [
      "According to pod security standard 'HostPath Volumes', HostPath volumes must be forbidden.",
      'According to the CIS benchmark, hostPath volumes must not be used.',
      'According to the Pod Security Standards, pods must not use hostPath volumes.',
    ])
      expect(await failuresOn(text, hostPathCases), text).toEqual([]);
  });

  it('the attribution never turns a refusal into a reading, and is only a source named before the comma', () => {
    // The rule after it is read as it would be alone: refused alone, refused with the attribution.
    expect(refusedOffline('non-core volume types must not be used.')).toBe(true);
    expect(
      refusedOffline("According to pod security standard 'Volume types', non-core volume types must not be used."),
    ).toBe(true);
    // Not a source: "according to their labels" says how, and stays unread.
    expect(refusedOffline('According to their labels, pods must not use hostPath volumes.')).toBe(true);
  });
});

describe("widened: a Service field named by its path ('spec.externalIPs') is the field", () => {
  const svc = (spec: Record<string, unknown>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 's', namespace: 'default' },
    spec: { type: 'ClusterIP', ports: [{ port: 80 }], ...spec },
  });
  it('reads "Do not set spec.externalIPs" as the externalIPs ban (was refused for "spec")', async () => {
    // checks/kubernetes/service_with_externalip.rego (KSV-0108), recommended action "Do not set spec.externalIPs".
    const cases: TestCase[] = [
      { name: 'externalIPs set', object: svc({ externalIPs: ['203.0.113.7'] }), expect: 'deny' },
      { name: 'no externalIPs', object: svc({}), expect: 'allow' },
    ];
    for (const text of ['Do not set spec.externalIPs', 'Services must not set `spec.externalIPs`.'])
      expect(await failuresOn(text, cases), text).toEqual([]);
  });
});
