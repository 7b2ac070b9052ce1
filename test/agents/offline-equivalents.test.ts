import { afterAll, describe, expect, it } from 'vitest';
import { offlineFamilies, understandOffline, type OfflineUnderstanding } from '../../agents/index.js';
import type { JsPolicy, KubeObject } from '../../common/index.js';
import { createSandbox } from '../../sandbox/index.js';
import { offlineFailures, offlinePolicy, refusedOffline } from './offline-harness.js';

// Two wordings that mean the same must not be read as two different rules. Each family example is rewritten with
// modal synonyms ("must not" -> "may not", "cannot", "are not allowed to"; "must" -> "should", "are required to"); a
// rewrite may be refused (a narrower reader is fine), but when it is read, both policies run on both plans' cases
// and must give every case the same verdict. Judged by what the sandbox records, not by the text of the readings.

const sandbox = createSandbox({ isolation: 'inline' });
afterAll(() => sandbox.close());

const SYNONYMS: Array<[RegExp, string[]]> = [
  [/\bmust not\b/, ['may not', 'should not', 'cannot', 'are not allowed to', 'must never']],
  [/\bmust\b(?! not)/, ['should', 'are required to', 'need to', 'have to']],
  [/\bare not allowed\b/, ['are forbidden', 'are prohibited', 'are disallowed']],
];

function rewrites(text: string): string[] {
  return SYNONYMS.flatMap(([re, words]) => (text.split(re).length === 2 ? words.map((w) => text.replace(re, w)) : []));
}

const policyOf = (u: OfflineUnderstanding, text: string): JsPolicy => offlinePolicy(u, { text });

async function disagreements(a: string, b: string): Promise<string[]> {
  const ua = understandOffline({ text: a });
  const ub = understandOffline({ text: b });
  const cases = [...ua.plan.tests, ...ub.plan.tests].map((c, i) => ({ ...c, name: `${i}: ${c.name}` }));
  const [ra, rb] = await Promise.all([
    sandbox.runSuite(policyOf(ua, a), cases),
    sandbox.runSuite(policyOf(ub, b), cases),
  ]);
  return ra.cases
    .map((c, i) => [c, rb.cases[i]] as const)
    .filter(([x, y]) => x.outcome.actual !== y.outcome.actual)
    .map(([x, y]) => `${x.name}: ${x.outcome.actual} vs ${y.outcome.actual}`);
}

describe('modal synonyms of every family example are refused or read as the same rule', () => {
  const pairs = offlineFamilies()
    .flatMap((f) => f.examples)
    .filter((text) => !refusedOffline(text))
    .flatMap((text) => rewrites(text).map((rewrite) => [text, rewrite] as const))
    .filter(([, rewrite]) => !refusedOffline(rewrite));

  it('has pairs to compare', () => {
    expect(pairs.length).toBeGreaterThan(20);
  });

  it.each(pairs)('"%s" and "%s" give every case the same verdict', async (a, b) => {
    expect(await disagreements(a, b)).toEqual([]);
  });
});

describe('wordings found to be read as different rules', () => {
  it('"are required to be immutable" is not a ban on the kind in the namespace (was read as "no Secrets in shop")', () => {
    // "immutable" counts as a negation for the reader; kind-in-namespace took the sentence as "Secrets … are not".
    for (const text of [
      'Secrets in the shop namespace are required to be immutable.',
      'ConfigMaps in the prod namespace are required to be immutable.',
    ]) {
      if (refusedOffline(text)) continue;
      expect(understandOffline({ text }).family, text).not.toBe('kind-in-namespace');
    }
  });

  it('"Services cannot use NodePort" beside "This policy …" is read like "must not" (was dropped)', async () => {
    expect(
      await disagreements(
        'Services must not use NodePort. This policy ensures Services of type LoadBalancer are denied.',
        'Services cannot use NodePort. This policy ensures Services of type LoadBalancer are denied.',
      ),
    ).toEqual([]);
  });
});

describe('a container field said with its securityContext. path', () => {
  // The path's dot stopped "set … to true/false" from being placed: "true" was left over and the intent refused.
  it.each([
    [
      'Containers must set securityContext.readOnlyRootFilesystem to true.',
      'Containers must set readOnlyRootFilesystem to true.',
    ],
    [
      'Containers must set securityContext.allowPrivilegeEscalation to false.',
      'Containers must set allowPrivilegeEscalation to false.',
    ],
    ['Containers must set securityContext.privileged to false.', 'Containers must set privileged to false.'],
  ])('"%s" reads as "%s"', async (path, bare) => {
    expect(refusedOffline(path)).toBe(false);
    expect(understandOffline({ text: path }).family).toBe(understandOffline({ text: bare }).family);
    expect(await disagreements(path, bare)).toEqual([]);
  });
});

describe("a well-known field's value said with other modals", () => {
  // "may not be", "cannot be", "must never be", "are required to be" were refused where "must (not) be" was read.
  it.each([
    ['HPA minReplicas must not be 1.', 'HPA minReplicas may not be 1.'],
    ['HPA minReplicas must not be 1.', 'HPA minReplicas cannot be 1.'],
    ['The concurrencyPolicy of CronJobs must not be Allow.', 'The concurrencyPolicy of CronJobs must never be Allow.'],
    ['The Service externalTrafficPolicy must not be Cluster.', 'The Service externalTrafficPolicy cannot be Cluster.'],
    [
      'The concurrencyPolicy of CronJobs must be Forbid.',
      'The concurrencyPolicy of CronJobs are required to be Forbid.',
    ],
  ])('"%s" and "%s" are one rule', async (a, b) => {
    expect(refusedOffline(b)).toBe(false);
    expect(await disagreements(a, b)).toEqual([]);
  });
});

describe('a ban on bindings to cluster-admin, whichever family reads it', () => {
  // "Deny bindings to …" (rbac-subjects) denied the API server's own cluster-admin binding of system:masters, which it
  // reconciles at start-up; "… must be denied" (binding-role-forbidden) left it alone. Found by the metamorphic hunt.
  const platformBinding: KubeObject = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'cluster-admin' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'Group', name: 'system:masters', apiGroup: 'rbac.authorization.k8s.io' }],
  };
  const userBinding: KubeObject = {
    ...platformBinding,
    metadata: { name: 'give-mallory-admin' },
    subjects: [{ kind: 'User', name: 'mallory', apiGroup: 'rbac.authorization.k8s.io' }],
  };
  it.each([
    'Deny bindings to the cluster-admin ClusterRole.',
    'Bindings to the cluster-admin ClusterRole must be denied.',
    'Only the group platform-admins may be bound to the cluster-admin ClusterRole.',
  ])('"%s" leaves the platform\'s own binding alone and denies a user\'s', async (text) => {
    expect(
      await offlineFailures(sandbox, { text }, [
        { name: 'the API server’s cluster-admin binding', object: platformBinding, expect: 'allow' },
        {
          name: 'UPDATE of it',
          object: platformBinding,
          oldObject: platformBinding,
          operation: 'UPDATE',
          expect: 'allow',
        },
        { name: 'a user bound to cluster-admin', object: userBinding, expect: 'deny' },
      ]),
    ).toEqual([]);
  });
});
