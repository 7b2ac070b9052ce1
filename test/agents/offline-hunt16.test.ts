import { afterAll, describe, expect, it } from 'vitest';
import { offlineFamilies, understandOffline } from '../../agents/index.js';
import type { KubeObject, TestCase } from '../../common/index.js';
import { createSandbox } from '../../sandbox/index.js';
import { offlineFailures, refusedOffline } from './offline-harness.js';
import { container, NS, pod, sc } from './offline-objects.js';

// Metamorphic relations over texts the reader reads (hunt 16): the operative statement said inside another frame
// ("Policy: …", "It is required that …", "In the past, …") and two texts joined into one. A frame that keeps the
// meaning must keep the policy (or be refused); one that changes the verdict must be refused. The cases below are
// written from the meaning of each text, never from the plan.

const sandbox = createSandbox({ isolation: 'inline' });
afterAll(() => sandbox.close());

/** Refused, or read as a policy that passes the cases written from the text's meaning (and its own plan). */
async function refusedOrRight(text: string, cases: TestCase[]): Promise<string[]> {
  if (refusedOffline(text)) return [];
  return offlineFailures(sandbox, { text }, cases);
}

const create = (name: string, object: KubeObject, expect: TestCase['expect']): TestCase => ({ name, object, expect });
const privilegedPod = (namespace: string): KubeObject => pod([sc({ privileged: true })], {}, namespace);

describe('a leading phrase before "in namespace X" is not a namespace', () => {
  it('"In the past, in namespace prod, …" does not scope the rule to a namespace called past', async () => {
    // Before: "the past, in namespace" was taken for a list of namespaces ("past", then "in"), so "past" was placed
    // as a namespace and the rule read for namespaces past and prod; the text says what used to hold.
    expect(refusedOffline('In the past, in namespace prod, Deployments must not run privileged containers.')).toBe(
      true,
    );
    expect(refusedOffline('In 2020, in namespace prod, Deployments must not run privileged containers.')).toBe(true);
  });

  it('"For Deployments, in namespace prod, …" is not read for a namespace called deployments', async () => {
    // Before: read by privileged for namespaces deployments and prod: a privileged Pod in a namespace called
    // deployments was denied, which the text never asks.
    const text = 'For Deployments, in namespace prod, containers must not be privileged.';
    expect(
      await refusedOrRight(text, [
        create(
          'a privileged Pod in namespace deployments is allowed (not prod)',
          privilegedPod('deployments'),
          'allow',
        ),
      ]),
    ).toEqual([]);
  });

  it('a namespace list and a leading scope are still read', () => {
    for (const [text, namespaces] of [
      ['In the dev, staging or prod namespaces, pods must not use hostNetwork.', ['dev', 'staging', 'prod']],
      ['In namespace prod, Deployments must not run privileged containers.', ['prod']],
    ] as const) {
      const u = understandOffline({ text });
      expect(u.plan.target.namespaces, text).toEqual(namespaces);
    }
  });
});

describe('a "Policy:" label before the rule is not the Policy kind', () => {
  const labelledPod = (labels?: Record<string, string>): KubeObject => {
    const p = pod();
    if (labels) (p.metadata ??= {}).labels = labels;
    return p;
  };

  it('"Policy: Pods must have the label team." asks nothing of other kinds (was: Policy objects too)', async () => {
    // Before: the sentence was taken for a parameter ("Name: value") and "Policy" placed as the kyverno.io Policy
    // kind, so Policy objects without the label were denied and the rule read for "Policy, Pod objects".
    const text = 'Policy: Pods must have the label team.';
    expect(
      await refusedOrRight(text, [
        create('a Pod with the label team is allowed', labelledPod({ team: 'a' }), 'allow'),
        create('a Pod without the label team is denied', labelledPod(), 'deny'),
      ]),
    ).toEqual([]);
    if (!refusedOffline(text)) expect(understandOffline({ text }).spec.resources).not.toContain('policies');
  });

  it('"Policy: Roles must not grant access to Secrets." is not also a rule on access to Policies', () => {
    // Before: Roles granting access to kyverno.io policies were denied too.
    const text = 'Policy: Roles must not grant access to Secrets.';
    if (!refusedOffline(text))
      expect(understandOffline({ text }).spec.javascript).not.toMatch(/"policies"|kyverno\.io/);
  });

  it('"Policy: Set imagePullPolicy to Always on every container." still mutates (was: a validating rule)', () => {
    const text = 'Policy: Set imagePullPolicy to Always on every container.';
    if (!refusedOffline(text)) expect(understandOffline({ text }).family).toBe('image-pull-policy');
  });

  it('"Policy: Pods must not be created in the default namespace." keeps the namespace rule', async () => {
    // Before: read by operation-forbidden for "Policy, Pod objects may not be created".
    const text = 'Policy: Pods must not be created in the default namespace.';
    if (!refusedOffline(text)) expect(understandOffline({ text }).family).toBe('kind-in-namespace');
  });
});

describe('"It is required that …" does not ask for the field the rule bounds', () => {
  const withMemoryLimit = (limit?: string): KubeObject =>
    pod([container(limit ? { resources: { limits: { memory: limit } } } : {})]);

  it('"It is required that containers with memory limits above 2Gi are not allowed." leaves an unset limit alone', async () => {
    // Before: "is required" was read as asking for the field ("must be set"), so a container without a memory limit
    // was denied; the text (like "Containers with memory limits above 2Gi are not allowed.") forbids only those above.
    for (const text of [
      'It is required that containers with memory limits above 2Gi are not allowed.',
      'Containers with memory limits above 2Gi are not allowed.',
    ])
      expect(
        await refusedOrRight(text, [
          create('a container without a memory limit is allowed', withMemoryLimit(), 'allow'),
          create('a container with a 4Gi memory limit is denied', withMemoryLimit('4Gi'), 'deny'),
          create('a container with a 1Gi memory limit is allowed', withMemoryLimit('1Gi'), 'allow'),
        ]),
        text,
      ).toEqual([]);
  });

  it('a memory limit said to be required still asks for it', async () => {
    const text = 'A memory limit is required, and containers with memory limits above 2Gi are not allowed.';
    expect(
      await refusedOrRight(text, [
        create('a container without a memory limit is denied', withMemoryLimit(), 'deny'),
        create('a container with a 4Gi memory limit is denied', withMemoryLimit('4Gi'), 'deny'),
      ]),
    ).toEqual([]);
  });
});

describe('two rules joined in one statement are refused, not read as one', () => {
  const hostPathPod = (namespace = NS): KubeObject =>
    pod([container()], { volumes: [{ name: 'data', hostPath: { path: '/data' } }] }, namespace);
  const probe = { httpGet: { path: '/healthz', port: 8080 } };

  it('a namespace rule joined to another is not read as the other rule scoped to that namespace', async () => {
    // Before: read by host-path for the default namespace only: a hostPath Pod in shop passed, a plain Pod in default
    // passed. Joined by "; ", ", and", ". Also," the same.
    for (const text of [
      'Pods must not mount hostPath volumes; pods must not be created in the default namespace.',
      'Pods must not mount hostPath volumes, and pods must not be created in the default namespace.',
      'Disallow Pods in the default namespace; this policy prevents Pods from mounting hostPath volumes.',
    ])
      expect(
        await refusedOrRight(text, [
          create('a hostPath Pod in shop is denied', hostPathPod(), 'deny'),
          create('a plain Pod in default is denied', pod([container()], {}, 'default'), 'deny'),
        ]),
        text,
      ).toEqual([]);
  });

  it('the second rule of "A; B" or "A, and B" is not dropped', async () => {
    // Before: read as the first rule alone (runtime-socket, handler-host): a Pod mounting /data, a Pod without a
    // liveness probe passed.
    expect(
      await refusedOrRight('Pods must not mount the Docker socket; mounting hostPath volumes is prohibited.', [
        create('a Pod mounting the hostPath /data is denied', hostPathPod(), 'deny'),
      ]),
    ).toEqual([]);
    expect(
      await refusedOrRight(
        'Probes and lifecycle hooks must not set a host, and containers must have a liveness probe.',
        [
          create('a container without a liveness probe is denied', pod([container()]), 'deny'),
          create('a container with a liveness probe is allowed', pod([container({ livenessProbe: probe })]), 'allow'),
        ],
      ),
    ).toEqual([]);
  });

  it('"In addition, B" after a rule is a second rule', async () => {
    // Before: "In addition, deleting namespaces is not allowed" could not be read alone ("In addition"), so the two
    // statements were not compared, and the first family placed every word: deleting a Namespace passed.
    const nsDelete: TestCase = {
      name: 'deleting a Namespace is denied',
      operation: 'DELETE',
      oldObject: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } },
      expect: 'deny',
    };
    for (const text of [
      'The team label of Deployments must not change. In addition, deleting namespaces is not allowed.',
      'Windows HostProcess containers are forbidden. In addition, deleting namespaces is not allowed.',
    ])
      expect(await refusedOrRight(text, [nsDelete]), text).toEqual([]);
    expect(refusedOffline('Images must not come from docker.io; the spec.selector of Deployments is immutable.')).toBe(
      true,
    );
  });

  it('a rule after a reason inside the statement is not cut away with the reason', async () => {
    // Before: ", and to avoid noisy neighbours, CPU limits should be set …" and ", because …, and this policy prevents
    // …" were cut as the reason, the second rule with them: a Pod without a CPU limit, a Service with
    // externalTrafficPolicy Local passed.
    expect(
      await refusedOrRight(
        'Should not be running as privileged, and to avoid noisy neighbours, CPU limits should be set on all containers.',
        [create('a container without a CPU limit is denied', pod([container()]), 'deny')],
      ),
    ).toEqual([]);
    const svc: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's', namespace: NS },
      spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ port: 80 }] },
    };
    expect(
      await refusedOrRight(
        'Services must not use the ExternalName type, because it can be used to redirect traffic, and this policy prevents Services whose spec.externalTrafficPolicy is Local.',
        [create('a Service with externalTrafficPolicy Local is denied', svc, 'deny')],
      ),
    ).toEqual([]);
  });

  it('a namespace said as a use is read within its own clause', async () => {
    // Before: "Using the default namespace for Pods is not allowed" was rewritten as "Pods … in the default namespace"
    // with the next clause taken into its subject, and read by automount-token scoped to default: a Pod mounting its
    // token in shop passed, a Pod in default that does not mount it passed.
    const text =
      'Using the default namespace for Pods is not allowed; automounting of service account tokens is forbidden.';
    expect(
      await refusedOrRight(text, [
        create(
          'a Pod mounting its token in shop is denied',
          pod([container()], { automountServiceAccountToken: true }),
          'deny',
        ),
        create(
          'a Pod in default not mounting its token is denied',
          pod([container()], { automountServiceAccountToken: false }, 'default'),
          'deny',
        ),
      ]),
    ).toEqual([]);
    expect(understandOffline({ text: 'Using the default namespace for Pods is not allowed.' }).family).toBe(
      'kind-in-namespace',
    );
  });

  it('one rule said in two clauses is still read', () => {
    for (const [text, family] of [
      ['Privileged containers are not allowed; containers must not be privileged.', 'privileged'],
      ['Images from gcr.io are not allowed; images from quay.io are blocked.', 'image-registry'],
      ['Seccomp profiles must be specified, and only runtime default and localhost profiles are allowed.', 'seccomp'],
      ['Containers must drop ALL, and may only add NET_BIND_SERVICE.', 'capabilities'],
      ['Checks whether deployments have at least three replicas, and denies those that do not.', 'replicas'],
    ] as const)
      expect(understandOffline({ text }).family, text).toBe(family);
  });
});

describe('the relations over the catalogue', () => {
  const stem = (t: string): string => t.trim().replace(/[.!]+$/, '');
  const lower = (t: string): string =>
    /^[A-Z][a-z]/.test(t) && !/^[A-Z][a-z]+[A-Z]/.test(t) ? t[0].toLowerCase() + t.slice(1) : t;
  const readExamples = (): Array<{ family: string; text: string }> =>
    offlineFamilies().flatMap((f) =>
      f.examples
        .filter((e) => !refusedOffline(e))
        .map((text) => ({ family: understandOffline({ text }).family, text })),
    );

  it('"Policy: <example>" is refused or read as the example is', () => {
    const changed: string[] = [];
    for (const { text } of readExamples()) {
      const v = `Policy: ${text}`;
      if (refusedOffline(v)) continue;
      if (JSON.stringify(understandOffline({ text: v }).spec) !== JSON.stringify(understandOffline({ text }).spec))
        changed.push(v);
    }
    expect(changed).toEqual([]);
  });

  it('two examples of different families joined by "; ", ", and" or ". In addition," are never read as one of them', () => {
    const examples = readExamples().filter(({ text }) => !/[.;]\s/.test(stem(text)));
    const firstOf = new Map<string, string>();
    for (const e of examples) if (!firstOf.has(e.family)) firstOf.set(e.family, stem(e.text));
    const one = [...firstOf.entries()];
    const halved: string[] = [];
    let variants = 0;
    // The policy and its plan's cases: a rule beside a precise one of its subject ("set a memory limit" beside "at
    // most 2Gi") is read as one of them with the other's denied cases in the plan, which the sandbox then fails; only
    // a reading with the lone text's very plan drops the second rule unseen.
    const said = (text: string): string => {
      const u = understandOffline({ text });
      return JSON.stringify([u.spec, u.plan.tests.map((c) => c.name)]);
    };
    const alone = new Map(one.map(([, t]) => [t, said(`${t}.`)]));
    for (const [i, [fa, a]] of one.entries())
      for (let step = 1; step <= 6; step++) {
        const [fb, b] = one[(i + step) % one.length];
        if (fa === fb) continue;
        for (const v of [`${a}; ${lower(b)}.`, `${a}, and ${lower(b)}.`, `${a}. In addition, ${lower(b)}.`]) {
          variants++;
          if (refusedOffline(v)) continue;
          const reading = said(v);
          if (reading === alone.get(a) || reading === alone.get(b)) halved.push(v);
        }
      }
    expect(variants).toBeGreaterThan(1000);
    expect(halved).toEqual([]);
  }, 120_000);
});
