import { afterAll, describe, expect, it } from 'vitest';
import { offlineFamilies, understandOffline, type OfflineUnderstanding } from '../../agents/index.js';
import type { JsPolicy, TestCase } from '../../common/index.js';
import { createSandbox } from '../../sandbox/index.js';
import { offlineFailures, offlinePolicy, refusedOffline } from './offline-harness.js';
import { container, pod } from './offline-objects.js';

// Rationale and context sentences beside a rule. Policy descriptions put a reason or background sentence before or
// after the rule ("Running as root can lead to container breakout.", "See https://…", a headline first): the rule is
// read from the operative statement alone, and no word of the rationale may change the family, the kinds, the
// namespaces, the values or the polarity. The relation: a text with rationale sentences around it is refused, or read
// as a policy that gives every case of both plans the verdict the text alone gives. And the reverse: a sentence beside
// the rule that really states a second rule is never silently dropped (refused, or read with both).

const sandbox = createSandbox({ isolation: 'inline' });
afterAll(() => sandbox.close());

/** Reasons and background written in the style of policy libraries, many with words a family reads. */
const RATIONALES = [
  'Running as root can lead to container breakout.',
  'The latest tag is mutable and makes rollbacks hard.',
  'Host namespaces let a pod see other workloads.',
  'Kubernetes v1.25 removed PodSecurityPolicy; the latest version of the Pod Security Standards is enforced by the built-in admission controller.',
  'Images from public registries may be malicious.',
  'By default, Kubernetes mounts a service account token into every Pod.',
  'Per CIS 5.2.1, this control is part of the benchmark.',
  'See https://kubernetes.io/docs/concepts/security/pod-security-standards/ for details.',
  'Privileged containers are dangerous.',
  'Deployments often copy settings from examples found online.',
  'This is not recommended.',
  'Without this, an attacker who compromises a container can take over the node.',
  'In production, a single misconfigured workload can affect the whole cluster.',
  'In the test environment, teams often cut corners.',
  'Over 50% of clusters run at least one privileged container.',
  'Admins are frequently asked to grant exceptions.',
  'Deleting resources by mistake is a common source of outages.',
  'Namespaces are a soft tenancy boundary.',
  'The default service account has more permissions than most workloads need.',
  'Sharing the host network bypasses NetworkPolicies.',
  'Pods that mount the Docker socket can control the node.',
  'Resource limits keep a noisy neighbour from starving other Pods.',
  'Liveness probes let the kubelet restart a hung container.',
  'An image pulled by tag may change between nodes.',
  'Adding capabilities such as SYS_ADMIN gives a container near-root power.',
  'Secrets stored in environment variables can leak in logs.',
  'NodePort Services open a port on every node.',
  'LoadBalancer Services cost money in the cloud.',
  "hostPath volumes expose the node's filesystem.",
  'Many teams run 3 replicas for availability.',
  'This is a Pod Security Standards Baseline control.',
  'Privilege escalation lets a process gain more rights than its parent.',
  'Seccomp filters reduce the kernel attack surface.',
  'Ingress hosts that overlap can hijack traffic from another team.',
  'It is not uncommon for developers to forget this.',
  'Without labels, cost reports cannot attribute spend to a team.',
  'Attackers often target the kube-system namespace.',
  'Kubernetes 1.24 deprecated this field.',
  'Older clusters default imagePullPolicy to IfNotPresent.',
  'Using the default namespace makes it hard to apply RBAC.',
  'Nobody wants to be paged at 3 a.m. because of a crashed pod.',
  'No single setting secures a cluster on its own.',
  'All of this is enforced at admission time.',
  'Every container image is a potential attack vector.',
  'Do not confuse this with the Pod status.',
  'Deny lists are harder to maintain than allow lists.',
  'Allowing privilege escalation is a common misconfiguration.',
  'Teams must balance security against convenience.',
  'Audit logs record every request to the API server.',
  'Set by a Helm chart, this field is often left at its default.',
  'Add-ons such as service meshes inject sidecars into Pods.',
  'Label selectors are used by Services to find Pods.',
  'Limit ranges can supply defaults.',
  'Any workload can be compromised.',
  'Never assume an image is safe.',
  'Prevent mistakes before they reach production.',
  'This prevents lateral movement between workloads.',
  'This can be used to break out of the container.',
  'For example, a Deployment with 1 replica has no redundancy.',
  'Default settings are rarely safe.',
  'Cluster administrators are responsible for node security.',
  'Only a few workloads legitimately need this.',
  'A compromised container with these rights can delete other workloads.',
  'Most clusters run about 100 Pods per node.',
  'Containers share the kernel of the node they run on.',
  'The Restricted profile is the strictest of the three Pod Security Standards.',
  'Images tagged latest are pulled again on every restart.',
  'Root in a container is root on the host once it escapes.',
  'Workloads in the prod namespace handle customer data.',
  'Unbounded memory usage can trigger the OOM killer on the node.',
  'This rule is part of our security baseline.',
  'Removing this protection is rarely needed.',
  'Requests tell the scheduler how much a Pod needs.',
  'Kubernetes does not check this by itself.',
  'This mirrors the PodSecurityPolicy field of the same name.',
  'Read more: https://kubernetes.io/docs/tasks/configure-pod-container/security-context/',
  'Category: Pod Security Standards (Baseline).',
  'Severity: high.',
  'Blocking this does not affect most applications.',
  'Ensuring this reduces the blast radius of a compromise.',
];

/** Headlines a description starts with, on a line of their own. */
const HEADLINES = [
  'Best Practices',
  'Pod Security Standards (Baseline)',
  'Workload hygiene',
  'Security',
  'Disallow Privileged Containers',
  'Require Labels',
  'Disallow Latest Tag',
  'Restrict Image Registries',
  'Disallow Host Namespaces',
];

const policyOf = (u: OfflineUnderstanding, text: string): JsPolicy => offlinePolicy(u, { text });
const ended = (t: string): string => (/[.!?]$/.test(t.trim()) ? t.trim() : `${t.trim()}.`);

/** Cases of both plans on which the two texts' policies give different verdicts. */
async function disagreements(a: string, b: string): Promise<string[]> {
  const ua = understandOffline({ text: a });
  const ub = understandOffline({ text: b });
  const pa = policyOf(ua, a);
  const pb = policyOf(ub, b);
  // The same policy gives every case the same verdict.
  if (JSON.stringify(pa.spec) === JSON.stringify(pb.spec)) return [];
  const cases: TestCase[] = [...ua.plan.tests, ...ub.plan.tests].map((c, i) => ({ ...c, name: `${i}: ${c.name}` }));
  const [ra, rb] = await Promise.all([sandbox.runSuite(pa, cases), sandbox.runSuite(pb, cases)]);
  return ra.cases
    .map((c, i) => [c, rb.cases[i]] as const)
    .filter(([x, y]) => x.outcome.actual !== y.outcome.actual)
    .map(([x, y]) => `${x.name}: ${x.outcome.actual} vs ${y.outcome.actual}`);
}

describe('rationale sentences around every family example are refused or change nothing', () => {
  // Bounded: each example read alone gets two rationale sentences (one before, one after, chosen by its index so that
  // every sentence is used) and one headline; the probe behind this file ran every sentence on every text.
  const bases = offlineFamilies()
    .flatMap((f) => f.examples.map((e) => [e, f.title] as const))
    .filter(([text]) => !refusedOffline(text));
  const pairs = bases.flatMap(([text, title], i) => [
    [text, `${RATIONALES[i % RATIONALES.length]} ${ended(text)}`] as const,
    [text, `${ended(text)} ${RATIONALES[(i * 7 + 3) % RATIONALES.length]}`] as const,
    [text, `${HEADLINES[i % HEADLINES.length]}\n${text}`] as const,
    ...(i % 3 === 0 ? [[text, `${title}\n${text}`] as const] : []),
  ]);

  // Refused variants are fine; the rest are compared (the readings are made once, for both tests).
  let read: Array<readonly [string, string]> | undefined;
  const readPairs = (): Array<readonly [string, string]> =>
    (read ??= pairs.filter(([, variant]) => !refusedOffline(variant)));

  it('has pairs to compare, most of them read', () => {
    expect(pairs.length).toBeGreaterThan(300);
    expect(readPairs().length).toBeGreaterThan(100);
  });

  it('gives every case of both plans one verdict', async () => {
    const wrong: string[] = [];
    for (const [base, variant] of readPairs()) {
      const d = await disagreements(base, variant);
      if (d.length) wrong.push(`${JSON.stringify(variant)}: ${d.slice(0, 2).join('; ')}`);
    }
    expect(wrong).toEqual([]);
  }, 120_000);
});

/** Sentences that state a rule of their own. */
const SECOND_RULES = [
  'Privileged containers are not allowed.',
  'Containers must not run as root.',
  'Images must not use the latest tag.',
  'hostNetwork is not allowed.',
  'Pods must have the label team.',
  'Services of type NodePort are forbidden.',
  'Containers must set resource limits.',
  'Services are restricted to type ClusterIP.',
];

describe('a second rule beside a family example is refused, or the policy is never verified and wrong', () => {
  // The reverse relation, bounded: each example read alone, beside two rules of another family (before and after). A
  // reading must deny what the example denies and what the second rule denies, or fail its own plan (not verified).
  const examples = offlineFamilies()
    .map((f) => f.examples.find((e) => !refusedOffline(e)))
    .filter((e): e is string => e !== undefined);
  const rules = SECOND_RULES.map((r) => [r, understandOffline({ text: r })] as const);
  const pairs = examples.flatMap((text, i) => {
    const family = understandOffline({ text }).family;
    return [rules[i % rules.length], rules[(i * 3 + 1) % rules.length]]
      .filter(([, u]) => u.family !== family)
      .flatMap(([rule]) => [`${rule} ${ended(text)}`, `${ended(text)} ${rule}`].map((v) => [text, rule, v] as const));
  });

  it('has pairs, and almost all are refused', () => {
    expect(pairs.length).toBeGreaterThan(200);
    expect(pairs.filter(([, , v]) => !refusedOffline(v)).length).toBeLessThan(pairs.length / 10);
  });

  it('a pair read is one rule that does both, or not verified', async () => {
    const wrong: string[] = [];
    for (const [text, rule, variant] of pairs) {
      if (refusedOffline(variant)) continue;
      const u = understandOffline({ text: variant });
      const meant = [understandOffline({ text }), understandOffline({ text: rule })]
        .flatMap((x) => x.plan.tests)
        .filter((c) => c.expect !== 'allow');
      const run = await sandbox.runSuite(policyOf(u, variant), [...u.plan.tests, ...meant]);
      const own = run.cases.slice(0, u.plan.tests.length);
      const failed = run.cases.filter((c) => !c.passed);
      if (own.every((c) => c.passed) && failed.length)
        wrong.push(`${JSON.stringify(variant)} (${u.family}): ${failed[0].name}: ${failed[0].outcome.actual}`);
    }
    expect(wrong).toEqual([]);
  }, 120_000);
});

describe('a sentence beside the rule that states a second rule is not dropped', () => {
  it("refuses a namespace ban beside another rule (its words all read as the other rule's scope)", () => {
    // Read before as the privileged / image-tag / host-namespaces rule in the default namespace: the sentence "Pods
    // must not be created in the default namespace" has only a kind, a namespace and a negation, which every family
    // places, so a Pod in default with a plain container was allowed.
    for (const text of [
      'Privileged containers are not allowed. Pods must not be created in the default namespace.',
      'Pods must not be created in the default namespace. Images must not use the latest tag.',
      'Deny Deployments in namespace legacy. Deny privileged containers.',
      'hostNetwork is not allowed. This policy ensures that Pods are not created in the `default` namespace.',
      // a headline that names another rule is a second rule too
      'Disallow Privileged Containers\nPods must not be created in the default namespace.',
      'Disallow Latest Tag\nDeny Deployments in namespace legacy.',
    ])
      expect(refusedOffline(text), text).toBe(true);
  });

  it('still reads one rule said twice, and a headline that names it', async () => {
    const privileged = [
      { name: 'privileged', object: pod([container({ securityContext: { privileged: true } })]), expect: 'deny' },
      { name: 'plain', object: pod([container()]), expect: 'allow' },
    ] satisfies TestCase[];
    for (const text of [
      'Disallow Privileged Containers\nPrivileged containers are not allowed.',
      'Deny privileged containers. Privileged containers are not allowed.',
    ])
      expect(await offlineFailures(sandbox, { text }, privileged), text).toEqual([]);
    const inDefault: TestCase[] = [
      { name: 'a Pod in default', object: pod([container()], {}, 'default'), expect: 'deny' },
      { name: 'a Pod in shop', object: pod([container()]), expect: 'allow' },
    ];
    expect(
      await offlineFailures(sandbox, { text: 'Pods must not be created in the default namespace.' }, inDefault),
    ).toEqual([]);
  });

  it('refuses a rule ahead of another that was taken for its background (it has no "must")', () => {
    // Read before as the second sentence's rule alone: a leading sentence without a modal ("Services are restricted to
    // type ClusterIP", "Log a warning for …", "Disable privilege escalation …", "Pods do not call for privileged
    // mode") was set aside as background, though alone each reads as a rule.
    for (const text of [
      'Services are restricted to type ClusterIP. Privileged containers are not allowed.',
      'Log a warning for Services of type NodePort. Images must not use the latest tag.',
      'Disable privilege escalation on all containers. Containers must set resource limits.',
      'Pods do not call for privileged mode. Containers must not run as root.',
      'Pods do not call for privileged mode. This policy ensures Services of type NodePort are denied.',
    ])
      expect(refusedOffline(text), text).toBe(true);
  });

  it('still sets aside background that reads as no rule, and a restatement of the same rule', async () => {
    const tags: TestCase[] = [
      { name: 'latest', object: pod([container({ image: 'nginx:latest' })]), expect: 'deny' },
      { name: 'pinned', object: pod([container({ image: 'nginx:1.27' })]), expect: 'allow' },
    ];
    for (const text of [
      'Privileged containers are dangerous. Images must not use the latest tag.',
      'The latest tag is mutable and makes rollbacks hard. Images must not use the latest tag.',
    ])
      expect(await offlineFailures(sandbox, { text }, tags), text).toEqual([]);
    expect(
      await offlineFailures(
        sandbox,
        { text: 'Pods do not call for privileged mode. Privileged containers are not allowed.' },
        [
          { name: 'privileged', object: pod([container({ securityContext: { privileged: true } })]), expect: 'deny' },
          { name: 'plain', object: pod([container()]), expect: 'allow' },
        ],
      ),
    ).toEqual([]);
  });

  it('reads a sentence that starts with a field name as a sentence, not as the tail of the reason before it', () => {
    // Read before as the replicas / service-type / rbac-rules rule alone: "hostNetwork …" begins with a small letter,
    // so it was not split off, and the "so …" / "because …" reason swallowed it with the rest of the line.
    for (const text of [
      'Deployments must have at least 2 replicas so one node failure does not take the service down. hostNetwork is not allowed.',
      'Services must not use the ExternalName type, because it can be used to redirect traffic. hostNetwork is not allowed.',
      'Images must not use the latest tag because it is mutable. hostPath volumes are not allowed.',
    ])
      expect(refusedOffline(text), text).toBe(true);
  });

  it('a general rule beside its precise form: what the general one denies is in the plan', async () => {
    // Read before as the memory bound alone, verified: a container with a 1Gi memory limit and no CPU limit passed,
    // though "Containers must set resource limits" asks for both. Its denials now join the plan, which the bound fails.
    const text = 'Containers must set resource limits. Containers must have a memory limit of at most 2Gi.';
    if (refusedOffline(text)) return;
    const u = understandOffline({ text });
    const run = await sandbox.runSuite(policyOf(u, text), u.plan.tests);
    expect(run.cases.filter((c) => !c.passed).map((c) => c.name)).not.toEqual([]);
  });
});

describe('a sentence that says how violations are answered is never background', () => {
  it('refuses a rule beside "Violations are logged, not blocked" (was a rule that denies)', () => {
    // Read before as the privileged rule, denying: the sentence ahead of it (or beside "This policy …") was set aside
    // as background, so what the person asked only to log, audit or warn about was blocked.
    for (const text of [
      'Violations are logged, not blocked. Privileged containers are not allowed.',
      'Violations are reported and never denied. Privileged containers are not allowed.',
      'Requests are audited, not rejected. Privileged containers are not allowed.',
      'Enforcement is in audit mode. Privileged containers are not allowed.',
      'Violations produce a warning. Privileged containers are not allowed.',
      'This policy ensures Pods are not privileged. Violations are logged, not blocked.',
      'Privileged mode must not be allowed. This policy ensures Pods do not call for privileged mode. Violations are reported as warnings.',
    ])
      expect(refusedOffline(text), text).toBe(true);
  });

  it('still sets aside background that only mentions blocking', async () => {
    expect(
      await offlineFailures(
        sandbox,
        { text: 'Blocking this does not affect most applications. Privileged containers are not allowed.' },
        [
          { name: 'privileged', object: pod([container({ securityContext: { privileged: true } })]), expect: 'deny' },
          { name: 'plain', object: pod([container()]), expect: 'allow' },
        ],
      ),
    ).toEqual([]);
  });
});

describe('a reason clause that still limits the rule is read, not set aside with the reason', () => {
  it('refuses a reason that leaves something out ("so they do not need probes")', () => {
    // Read before as "Containers must have a liveness probe" for every pod controller: the clause ", so they do not
    // need probes" went with the reason, and "Jobs run to completion" was taken for background, so a Job without a
    // probe was denied.
    for (const text of [
      'Jobs run to completion, so they do not need probes. Containers must have a liveness probe.',
      'Containers must have a liveness probe, because Jobs do not need one.',
    ])
      expect(refusedOffline(text), text).toBe(true);
  });

  it('reads a bound said as the purpose, and a required field beside a ban on what is above a bound', async () => {
    // Read before as "Containers must set a memory limit" (any size passed) and, for the second, as the ban alone (a
    // container with no memory limit passed).
    const limit = (memory?: string): TestCase['object'] =>
      pod([container(memory ? { resources: { limits: { memory } } } : {})]);
    for (const text of [
      'Containers must set a memory limit so that no container uses more than 2Gi.',
      'Containers must set a memory limit, and no container may use more than 2Gi.',
    ]) {
      if (refusedOffline(text)) continue;
      expect(
        await offlineFailures(sandbox, { text }, [
          { name: 'no memory limit', object: limit(), expect: 'deny' },
          { name: '4Gi', object: limit('4Gi'), expect: 'deny' },
          { name: '1Gi', object: limit('1Gi'), expect: 'allow' },
        ]),
        text,
      ).toEqual([]);
    }
  });

  it('still sets aside a plain reason', async () => {
    expect(
      await offlineFailures(sandbox, { text: 'Images must not use the latest tag, because it is mutable.' }, [
        { name: 'latest', object: pod([container({ image: 'nginx:latest' })]), expect: 'deny' },
        { name: 'pinned', object: pod([container({ image: 'nginx:1.27' })]), expect: 'allow' },
      ]),
    ).toEqual([]);
  });
});

describe('a reason after the rule is background, as one before it is; a plain fact after it is still read', () => {
  // hunt14 left these refused: "Images must not use the latest tag. The latest tag is mutable …" had its reason read
  // as a rule. A sentence after the rule is set aside only when it says a possibility or a harm (REASON_CUE), is no
  // instruction and names no condition; it is still read alone, so a second rule said plainly is refused.
  const sandbox = createSandbox({ isolation: 'inline' });
  afterAll(() => sandbox.close());

  it.each([
    ['Images must not use the latest tag. The latest tag is mutable and makes rollbacks unreliable.', 'image-tag'],
    ['Privileged containers are not allowed. They can access every device on the host.', 'privileged'],
    ["Pods must not use hostPath volumes. hostPath volumes expose the node's filesystem.", 'host-path'],
    ['Every container must set a memory limit. Without limits one pod can starve its neighbours.', 'resources'],
  ])('"%s" reads as %s, with the same verdicts as the rule alone', async (text, family) => {
    const rule = text.split('. ')[0] + '.';
    const u = understandOffline({ text });
    expect(u.family).toBe(family);
    const alone = understandOffline({ text: rule });
    const cases = [...u.plan.tests, ...alone.plan.tests].map((c, i) => ({ ...c, name: `${i}: ${c.name}` }));
    const [a, b] = await Promise.all([
      sandbox.runSuite(offlinePolicy(u, { text }), cases),
      sandbox.runSuite(offlinePolicy(alone, { text: rule }), cases),
    ]);
    expect(a.cases.map((c) => c.outcome.actual)).toEqual(b.cases.map((c) => c.outcome.actual));
  });

  it('refuses what may be an unsaid exception, a second rule, or an instruction after the rule', () => {
    for (const text of [
      'Pods must not use hostPath volumes. Monitoring agents mount the host.',
      'Images must come from registry.example.com. Pods have the label team.',
      'Privileged containers are not allowed. Containers have resource limits.',
      'Images must not use the latest tag. Use a digest.',
      'Privileged containers are not allowed. Violations are logged.',
      'Containers must set memory limits. Jobs are excluded.',
    ])
      expect(refusedOffline(text), text).toBe(true);
  });
});
