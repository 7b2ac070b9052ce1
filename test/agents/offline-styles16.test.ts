import { afterAll, describe, expect, it } from 'vitest';
import { understandOffline } from '../../agents/index.js';
import type { KubeObject, TestCase } from '../../common/index.js';
import { createSandbox } from '../../sandbox/index.js';
import { offlineFailures, refusedOffline } from './offline-harness.js';
import { container, NS, pod } from './offline-objects.js';

// Readings that held on our own cases but not on objects a person would write: each proved by cases written here from
// the text's meaning.

const sandbox = createSandbox({ isolation: 'inline' });
afterAll(() => sandbox.close());

const failuresOn = (text: string, cases: TestCase[]): Promise<string[]> => offlineFailures(sandbox, { text }, cases);

const imagePod = (name: string, ...images: string[]): KubeObject => ({
  ...pod(images.map((image, i) => container({ name: `c${i}`, image }))),
  metadata: { name, namespace: NS },
});

/** A Pod with these pod spec fields, its one container with this securityContext. */
const withSc = (name: string, spec: Record<string, unknown> = {}, ctrSc?: Record<string, unknown>): KubeObject => ({
  ...pod([container(ctrSc ? { securityContext: ctrSc } : {})], spec),
  metadata: { name, namespace: NS },
});

/** A Deployment whose pod template has these pod spec fields and labels (besides app=x, its selector). */
const deployment = (
  name: string,
  spec: Record<string, unknown> = {},
  labels: Record<string, string> = {},
): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: NS },
  spec: {
    selector: { matchLabels: { app: 'x' } },
    template: { metadata: { labels: { app: 'x', ...labels } }, spec: { containers: [container()], ...spec } },
  },
});

const service = (name: string, type?: string, namespace = NS): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace },
  spec: { ports: [{ port: 80 }], ...(type ? { type } : {}) },
});

describe('a registry is a host: its case and Docker Hub legacy name do not make it another', () => {
  // distribution/reference (normalize.go) rewrites the legacy index.docker.io to docker.io, and DNS ignores case, so
  // each of these pulls from Docker Hub.
  const hub = ['nginx:1.27', 'docker.io/library/nginx:1.27', 'index.docker.io/library/nginx:1.27', 'Docker.io/nginx:1'];
  const cases: TestCase[] = [
    ...hub.map((image, i) => ({
      name: `${image} is denied`,
      object: imagePod(`h${i}`, image),
      expect: 'deny' as const,
    })),
    { name: 'an image from ghcr.io is allowed', object: imagePod('g', 'ghcr.io/acme/app:1'), expect: 'allow' },
  ];

  it.each(['Containers must not use images from docker.io.', 'Deny images from docker.io.'])(
    'reads %j as a ban on every spelling of Docker Hub',
    async (text) => {
      expect(await failuresOn(text, cases)).toEqual([]);
    },
  );

  it('reads an allow-list of docker.io as admitting every spelling of it', async () => {
    const inverse = cases.map((c) => ({ ...c, expect: c.expect === 'allow' ? 'deny' : 'allow' }) as TestCase);
    expect(await failuresOn('Images may only come from docker.io.', inverse)).toEqual([]);
  });

  it('holds an allow-list host in capitals to the same host', async () => {
    expect(
      await failuresOn('Pods may only run images from registry.example.com.', [
        {
          name: 'REGISTRY.example.com is allowed',
          object: imagePod('a', 'REGISTRY.example.com/app:1'),
          expect: 'allow',
        },
        {
          name: 'registry.example.com.evil.io is denied',
          object: imagePod('b', 'registry.example.com.evil.io/a:1'),
          expect: 'deny',
        },
      ]),
    ).toEqual([]);
  });
});

describe('a label key said before the word, and a choice said with "one of"', () => {
  const labelled = (name: string, labels?: Record<string, string>): KubeObject => ({
    ...pod(),
    metadata: { name, namespace: NS, ...(labels ? { labels } : {}) },
  });
  const cases: TestCase[] = [
    { name: 'team=alpha is allowed', object: labelled('a', { team: 'alpha' }), expect: 'allow' },
    { name: 'team=gamma is allowed', object: labelled('g', { team: 'gamma' }), expect: 'allow' },
    { name: 'team=delta is denied', object: labelled('d', { team: 'delta' }), expect: 'deny' },
    { name: 'team=Alpha is another value, denied', object: labelled('u', { team: 'Alpha' }), expect: 'deny' },
    { name: 'no team label is denied', object: labelled('n', { tier: 'alpha' }), expect: 'deny' },
    { name: "a Deployment's pods with team=x are denied", object: deployment('x', {}, { team: 'x' }), expect: 'deny' },
    {
      name: "a Deployment's pods with team=beta are allowed",
      object: deployment('b', {}, { team: 'beta' }),
      expect: 'allow',
    },
  ];

  it.each([
    'Pods must declare a `team` label whose value is one of `alpha`, `beta` or `gamma`.',
    'Pods must have a team label with one of the values alpha, beta or gamma.',
    'Pods must have a team label with one of the values alpha, beta, gamma.',
    'The `team` label of every Pod must be one of alpha, beta, gamma.',
  ])('reads %j as the team label holding one of the three values', async (text) => {
    expect(await failuresOn(text, cases)).toEqual([]);
  });

  it.each([
    // A kind or a determiner where the key would stand: which label is meant is not said.
    'The pod label must be one of a or b.',
    'Every label of Pods must be one of a, b or c.',
    // Commas alone without "one of" could be a sequence, not a choice.
    'Pods must have the label team with the values alpha, beta, gamma.',
    'The team label of Pods must not be one of alpha, beta or gamma.',
  ])('refuses %j', (text) => {
    expect(refusedOffline(text)).toBe(true);
  });
});

describe('"no container adds X": the container adding a capability is the field checked, not a mutation', () => {
  const withAdd = (name: string, add?: string[], init = false): KubeObject => {
    const c = container(add ? { securityContext: { capabilities: { add } } } : {});
    return {
      ...pod(init ? [container()] : [c], init ? { initContainers: [{ ...c, name: 'init' }] } : {}),
      metadata: { name, namespace: NS },
    };
  };
  const cases: TestCase[] = [
    { name: 'adding SYS_ADMIN is denied', object: withAdd('a', ['SYS_ADMIN']), expect: 'deny' },
    {
      name: 'an init container adding CAP_SYS_ADMIN is denied',
      object: withAdd('b', ['CAP_SYS_ADMIN'], true),
      expect: 'deny',
    },
    { name: 'adding NET_ADMIN is allowed', object: withAdd('c', ['NET_ADMIN']), expect: 'allow' },
    { name: 'adding nothing is allowed', object: withAdd('d'), expect: 'allow' },
  ];

  it.each([
    'This policy ensures that no container adds the SYS_ADMIN capability.',
    'Reject any Pod in which a container adds SYS_ADMIN.',
  ])('reads %j as a ban on adding SYS_ADMIN', async (text) => {
    expect(await failuresOn(text, cases)).toEqual([]);
  });

  it('still reads "the policy adds" as a change it would make, refused', () => {
    expect(refusedOffline('This policy adds the NET_BIND_SERVICE capability to every container.')).toBe(true);
  });
});

describe('"pulled by digest": the image named by its digest', () => {
  const cases: TestCase[] = [
    { name: 'a tag only is denied', object: imagePod('a', 'registry.example.com/app:1.4.2'), expect: 'deny' },
    { name: 'no tag is denied', object: imagePod('b', 'registry.example.com/app'), expect: 'deny' },
    {
      name: 'a digest is allowed',
      object: imagePod('c', `registry.example.com/app@sha256:${'a'.repeat(64)}`),
      expect: 'allow',
    },
    {
      name: 'one container without a digest is denied',
      object: imagePod('d', `registry.example.com/app@sha256:${'a'.repeat(64)}`, 'nginx:1.27'),
      expect: 'deny',
    },
  ];

  it.each([
    'Images must be pulled by digest.',
    'Container images must be pulled by digest rather than tag.',
    'Container images should be referenced by digest so that the same bits run everywhere. This policy requires images to be pulled by digest.',
  ])('reads %j as a digest required', async (text) => {
    expect(await failuresOn(text, cases)).toEqual([]);
  });

  it.each([
    'Images must not be pulled by digest.',
    'Images must be pulled by tag.',
    'Images pulled by digest are allowed.',
  ])('refuses %j', (text) => {
    expect(refusedOffline(text)).toBe(true);
  });
});

describe('a read only filesystem, and a check described as "Makes sure that …"', () => {
  const withRoot = (name: string, securityContext?: Record<string, unknown>): KubeObject => ({
    ...pod([container(securityContext ? { securityContext } : {})]),
    metadata: { name, namespace: NS },
  });
  const cases: TestCase[] = [
    {
      name: 'readOnlyRootFilesystem: true is allowed',
      object: withRoot('a', { readOnlyRootFilesystem: true }),
      expect: 'allow',
    },
    {
      name: 'readOnlyRootFilesystem: false is denied',
      object: withRoot('b', { readOnlyRootFilesystem: false }),
      expect: 'deny',
    },
    { name: 'no securityContext is denied', object: withRoot('c'), expect: 'deny' },
  ];

  it.each([
    'Containers must use a read only root filesystem.',
    'Containers must have a read-only filesystem.',
    // kube-score's description of container-security-context-readonlyrootfilesystem (README_CHECKS.md).
    'Makes sure that all pods have a security context with read only filesystem set',
  ])('reads %j as readOnlyRootFilesystem: true required', async (text) => {
    expect(await failuresOn(text, cases)).toEqual([]);
  });

  it.each([
    'Containers must not use a read only root filesystem.',
    'Volumes must be mounted with a read only filesystem.',
  ])('refuses %j', (text) => {
    expect(refusedOffline(text)).toBe(true);
  });
});

describe('"the host\'s IPC namespace is not shared": the passive of sharing it', () => {
  const withHost = (name: string, spec: Record<string, unknown>): KubeObject => ({
    ...pod([container()], spec),
    metadata: { name, namespace: NS },
  });
  const cases: TestCase[] = [
    { name: 'hostIPC: true is denied', object: withHost('a', { hostIPC: true }), expect: 'deny' },
    { name: 'hostIPC: false is allowed', object: withHost('b', { hostIPC: false }), expect: 'allow' },
    // The text names the IPC namespace only.
    {
      name: 'hostNetwork: true is not this rule, allowed',
      object: withHost('c', { hostNetwork: true }),
      expect: 'allow',
    },
    { name: 'no host namespace is allowed', object: withHost('d', {}), expect: 'allow' },
  ];

  it.each([
    // kube-linter's remediation for host-ipc (pkg/builtinchecks/yamls/host-ipc.yaml).
    "Ensure the host's IPC namespace is not shared.",
    "The host's IPC namespace must not be shared.",
  ])('reads %j as hostIPC forbidden', async (text) => {
    expect(await failuresOn(text, cases)).toEqual([]);
  });

  it.each(["The host's network namespace is shared.", 'The host network namespace may be shared.'])(
    'refuses %j, which states or permits it',
    (text) => {
      expect(refusedOffline(text)).toBe(true);
    },
  );
});

describe('"at the Pod or container level": either level will do, as the families read it', () => {
  const cases: TestCase[] = [
    {
      name: 'set in the pod only is allowed',
      object: withSc('a', { securityContext: { runAsNonRoot: true } }),
      expect: 'allow',
    },
    {
      name: 'set in the container only is allowed',
      object: withSc('b', {}, { runAsNonRoot: true }),
      expect: 'allow',
    },
    {
      name: 'false in the container over true in the pod is denied',
      object: withSc('c', { securityContext: { runAsNonRoot: true } }, { runAsNonRoot: false }),
      expect: 'deny',
    },
    { name: 'set nowhere is denied', object: withSc('d', {}), expect: 'deny' },
  ];

  it('reads the Pod Security wording with it', async () => {
    expect(
      await failuresOn(
        'Containers should not be allowed to run as the root user. This policy requires runAsNonRoot to be set to true at the Pod or container level.',
        cases,
      ),
    ).toEqual([]);
  });

  it.each([
    // Both levels, or one named level, ask for more than the families check.
    'runAsNonRoot must be set to true at the pod and container levels.',
    'runAsNonRoot must be set to true at the container level.',
  ])('refuses %j', (text) => {
    expect(refusedOffline(text)).toBe(true);
  });
});

describe('"This policy prevents users from …": everyone is stopped', () => {
  const cases: TestCase[] = [
    { name: 'a NodePort Service is denied', object: service('a', 'NodePort'), expect: 'deny' },
    { name: 'a ClusterIP Service is allowed', object: service('b', 'ClusterIP'), expect: 'allow' },
    { name: 'a Service without a type is allowed', object: service('c'), expect: 'allow' },
  ];

  it.each([
    'This policy prevents users from creating Services of type NodePort.',
    'This policy blocks users from creating Services of type NodePort.',
  ])('reads %j as NodePort Services denied', async (text) => {
    expect(await failuresOn(text, cases)).toEqual([]);
  });

  it.each([
    // Whom the rule applies to is named: the policy cannot tell them apart offline.
    'This policy prevents non-admin users from creating Services of type NodePort.',
    'This policy prevents users from the dev team from creating Services of type NodePort.',
  ])('refuses %j', (text) => {
    expect(refusedOffline(text)).toBe(true);
  });
});

describe('a PriorityClass or RuntimeClass named: the pod spec field equal to the name, or not', () => {
  const withClass = (name: string, spec: Record<string, unknown>): KubeObject => ({
    ...pod([container()], spec),
    metadata: { name, namespace: NS },
  });
  const runtime: TestCase[] = [
    { name: 'gvisor is allowed', object: withClass('a', { runtimeClassName: 'gvisor' }), expect: 'allow' },
    { name: 'runc is denied', object: withClass('b', { runtimeClassName: 'runc' }), expect: 'deny' },
    { name: 'no runtime class is denied', object: withClass('c', {}), expect: 'deny' },
    { name: "a Deployment's pods without one are denied", object: deployment('d', {}), expect: 'deny' },
    {
      name: "a Deployment's pods with gvisor are allowed",
      object: deployment('e', { runtimeClassName: 'gvisor' }),
      expect: 'allow',
    },
  ];
  const critical: TestCase[] = [
    {
      name: 'system-cluster-critical is denied',
      object: withClass('a', { priorityClassName: 'system-cluster-critical' }),
      expect: 'deny',
    },
    { name: 'another class is allowed', object: withClass('b', { priorityClassName: 'high' }), expect: 'allow' },
    { name: 'no class is allowed', object: withClass('c', {}), expect: 'allow' },
    {
      name: "a Deployment's pods with system-cluster-critical are denied",
      object: deployment('d', { priorityClassName: 'system-cluster-critical' }),
      expect: 'deny',
    },
  ];

  it.each([
    'Pods must use the runtime class gvisor.',
    'Pods must set runtimeClassName to gvisor.',
    "Pods must use the 'gvisor' runtime class.",
    'The runtimeClassName of Pods must be gvisor.',
  ])('reads %j as runtimeClassName gvisor required', async (text) => {
    expect(await failuresOn(text, runtime)).toEqual([]);
  });

  it.each([
    'Pods must not use the priority class system-cluster-critical.',
    'Pods must not set priorityClassName to system-cluster-critical.',
  ])('reads %j as that priorityClassName forbidden', async (text) => {
    expect(await failuresOn(text, critical)).toEqual([]);
  });

  it.each([
    // Names are lower case; "default" is the cluster's default class; a list, "only" and a state are not one name.
    'Pods must use the runtime class GVisor.',
    'Pods must use the priority class default.',
    'Pods must use the priority class high or critical.',
    'Only the priority class high may be used.',
  ])('refuses %j', (text) => {
    expect(refusedOffline(text)).toBe(true);
  });

  it('leaves "Priority class should be set" to the requirement of any class', async () => {
    expect(
      await failuresOn('Priority class should be set', [
        { name: 'any class is allowed', object: withClass('a', { priorityClassName: 'set' }), expect: 'allow' },
        { name: 'no class is denied', object: withClass('b', {}), expect: 'deny' },
      ]),
    ).toEqual([]);
  });
});

describe('a consequence said as a possibility ("… may be scheduled on a node without capacity") is why, not a rule', () => {
  const same = (text: string, bare: string): void => {
    const a = understandOffline({ text });
    const b = understandOffline({ text: bare });
    expect(a.family).toBe(b.family);
    expect(a.spec.javascript).toBe(b.spec.javascript);
    expect(a.plan.tests).toEqual(b.plan.tests);
  };

  it.each([
    [
      'A container that does not set a CPU request may be scheduled on a node without capacity. This policy requires CPU requests.',
      'This policy requires CPU requests.',
    ],
    [
      'Without a readiness probe traffic may reach a container that is not ready. This policy requires readiness probes for all containers.',
      'This policy requires readiness probes for all containers.',
    ],
  ])('reads %j as its policy sentence alone', (text, bare) => {
    same(text, bare);
  });

  it.each([
    // A permission with "only" is a rule, and a second one here.
    'Pods may only be scheduled on nodes labelled pool=web. This policy requires CPU requests.',
    'Pods may be scheduled only on nodes labelled pool=web. This policy requires CPU requests.',
  ])('still refuses %j, which states a second rule', (text) => {
    expect(refusedOffline(text)).toBe(true);
  });
});

describe('"restrict X to Y" is an allow-list of Y, whichever words Y is said in', () => {
  // Read before as a ban in edge: LoadBalancers denied in edge, allowed everywhere else (the inverse).
  const edge: TestCase[] = [
    {
      name: 'a LoadBalancer in edge is allowed',
      object: service('a', 'LoadBalancer', 'edge'),
      namespace: 'edge',
      expect: 'allow',
    },
    {
      name: 'a LoadBalancer in shop is denied',
      object: service('b', 'LoadBalancer', NS),
      namespace: NS,
      expect: 'deny',
    },
    { name: 'a ClusterIP in shop is allowed', object: service('c', 'ClusterIP', NS), namespace: NS, expect: 'allow' },
  ];

  it.each([
    'Restrict LoadBalancer Services to the edge namespace.',
    'This policy restricts LoadBalancer Services to the edge namespace.',
  ])('reads %j as LoadBalancers only in edge', async (text) => {
    expect(await failuresOn(text, edge)).toEqual([]);
  });

  const registries: TestCase[] = [
    { name: 'registry.corp.example is allowed', object: imagePod('a', 'registry.corp.example/app:1'), expect: 'allow' },
    { name: 'ghcr.io/corp is allowed', object: imagePod('b', 'ghcr.io/corp/app:1'), expect: 'allow' },
    { name: 'ghcr.io/other is denied', object: imagePod('c', 'ghcr.io/other/app:1'), expect: 'deny' },
    { name: 'Docker Hub is denied', object: imagePod('d', 'nginx:1.27'), expect: 'deny' },
  ];

  it('reads "restricts images to those from a and b" as the allow-list (a phrase order once read it as a ban)', async () => {
    expect(
      await failuresOn(
        'Images should come from a known registry. This policy restricts images to those from registry.corp.example and ghcr.io/corp.',
        registries,
      ),
    ).toEqual([]);
  });

  it.each([
    // Read before as a ban on Pods in prod.
    'Restrict Pods to the prod namespace.',
    'Restrict LoadBalancer Services to the edge and lb namespaces.',
    'This policy restricts images to those not from docker.io.',
  ])('refuses %j', (text) => {
    expect(refusedOffline(text)).toBe(true);
  });
});

describe('X kept to one namespace, said with "only" after the place or as a restriction', () => {
  const nodePorts: TestCase[] = [
    {
      name: 'a NodePort in edge is allowed',
      object: service('a', 'NodePort', 'edge'),
      namespace: 'edge',
      expect: 'allow',
    },
    {
      name: 'a ClusterIP in edge is allowed',
      object: service('b', 'ClusterIP', 'edge'),
      namespace: 'edge',
      expect: 'allow',
    },
    { name: 'a NodePort in shop is denied', object: service('c', 'NodePort', NS), namespace: NS, expect: 'deny' },
    { name: 'a ClusterIP in shop is allowed', object: service('d', 'ClusterIP', NS), namespace: NS, expect: 'allow' },
  ];

  it.each([
    // Read before as "only NodePort Services in edge": ClusterIP Services in edge were denied.
    'NodePort Services are allowed in the edge namespace only.',
    'NodePort Services may be created in the edge namespace only.',
    // Read before as a ban in edge, the inverse.
    'NodePort Services are restricted to the edge namespace.',
    'NodePort Services must be limited to the edge namespace.',
    // The same place said with another verb.
    'NodePort Services should only run in the edge namespace.',
    'NodePort Services may only be used within the edge namespace.',
    'NodePort Services can only exist in the edge namespace.',
  ])('reads %j as NodePort Services only in edge', async (text) => {
    expect(await failuresOn(text, nodePorts)).toEqual([]);
  });

  it.each([
    // Only NodePort ones in edge, or NodePort ones only in edge: both are said by these words.
    'Only NodePort Services are allowed in the edge namespace.',
    'NodePort Services are not restricted to the edge namespace.',
  ])('refuses %j', (text) => {
    expect(refusedOffline(text)).toBe(true);
  });
});

describe('ingress classes listed: an Ingress names one class, so the list is a choice', () => {
  const ingress = (name: string, cls?: string): KubeObject => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: NS },
    spec: { ...(cls ? { ingressClassName: cls } : {}), rules: [{ host: 'shop.example.com' }] },
  });
  const allowed: TestCase[] = [
    { name: 'nginx is allowed', object: ingress('a', 'nginx'), expect: 'allow' },
    { name: 'traefik is allowed', object: ingress('b', 'traefik'), expect: 'allow' },
    { name: 'public is denied', object: ingress('c', 'public'), expect: 'deny' },
    { name: 'no class is denied', object: ingress('d'), expect: 'deny' },
  ];

  it.each([
    'Ingresses may only use the ingress classes nginx or traefik.',
    'Ingresses must use the ingress class nginx, traefik or haproxy.',
  ])('reads %j as the allow-list', async (text) => {
    expect(await failuresOn(text, allowed)).toEqual([]);
  });

  it('reads "must not use the ingress classes public and external" as a ban on each', async () => {
    expect(
      await failuresOn('Ingresses must not use the ingress classes public and external.', [
        { name: 'public is denied', object: ingress('a', 'public'), expect: 'deny' },
        { name: 'external is denied', object: ingress('b', 'external'), expect: 'deny' },
        { name: 'nginx is allowed', object: ingress('c', 'nginx'), expect: 'allow' },
        { name: 'no class is allowed', object: ingress('d'), expect: 'allow' },
      ]),
    ).toEqual([]);
  });

  it.each([
    'Ingresses must not only use the ingress class nginx.',
    'Ingresses must use the ingress class nginx and the ingress class traefik.',
  ])('refuses %j', (text) => {
    expect(refusedOffline(text)).toBe(true);
  });
});

describe('"no image containing the name tiller": a word in the image name', () => {
  const cases: TestCase[] = [
    { name: 'ghcr.io/helm/tiller is denied', object: imagePod('a', 'ghcr.io/helm/tiller:v2.16.9'), expect: 'deny' },
    { name: 'a bare tiller image is denied', object: imagePod('b', 'tiller'), expect: 'deny' },
    {
      name: 'tiller beside another image is denied',
      object: imagePod('c', 'nginx:1.27', 'gcr.io/kubernetes-helm/tiller:v2'),
      expect: 'deny',
    },
    { name: 'nginx is allowed', object: imagePod('d', 'nginx:1.27'), expect: 'allow' },
    {
      name: 'tiller only as the tag is allowed',
      object: imagePod('e', 'registry.example.com/app:tiller'),
      expect: 'allow',
    },
  ];

  it.each([
    'Tiller has known security challenges. This policy validates that there is not an image containing the name tiller.',
    'Container images must not contain the name tiller.',
    'Image names must not contain tiller.',
    'Deny images whose name contains tiller.',
  ])('reads %j as a ban on images named with tiller', async (text) => {
    expect(await failuresOn(text, cases)).toEqual([]);
  });

  it.each([
    'Images must contain the name tiller.',
    // Image names are lower case: which name is meant is not said.
    'Images containing the name Tiller are not allowed.',
    'Images containing tiller or helm are not allowed.',
  ])('refuses %j', (text) => {
    expect(refusedOffline(text)).toBe(true);
  });
});

describe('"X disables … and must be disallowed": what the subject does, then its rule', () => {
  const privileged = (name: string, value?: boolean): KubeObject => ({
    ...pod([container(value === undefined ? {} : { securityContext: { privileged: value } })]),
    metadata: { name, namespace: NS },
  });
  const cases: TestCase[] = [
    { name: 'a privileged container is denied', object: privileged('a', true), expect: 'deny' },
    { name: 'privileged: false is allowed', object: privileged('b', false), expect: 'allow' },
    { name: 'a plain container is allowed', object: privileged('c'), expect: 'allow' },
  ];

  it.each([
    // Kubernetes' own description of the privileged check (pod-security-admission policy/check_privileged.go).
    'Privileged Pods disable most security mechanisms and must be disallowed.',
    'Privileged mode disables most security mechanisms and must not be allowed.',
  ])('reads %j as privileged containers denied', async (text) => {
    expect(await failuresOn(text, cases)).toEqual([]);
  });

  it('keeps an exception said after the rule', async () => {
    expect(
      await failuresOn(
        'Privileged Pods disable most security mechanisms and must be disallowed unless they run in the ops namespace.',
        [
          ...cases,
          {
            name: 'a privileged container in ops is allowed',
            object: { ...privileged('d', true), metadata: { name: 'd', namespace: 'ops' } },
            namespace: 'ops',
            expect: 'allow',
          },
        ],
      ),
    ).toEqual([]);
  });

  it.each([
    // A subject qualified by a clause: which Pods is not said plainly.
    'Pods that expose ports and must be disallowed.',
    'Pods which run as root disable isolation and must be disallowed.',
  ])('refuses %j', (text) => {
    expect(refusedOffline(text)).toBe(true);
  });
});

describe('Pod Security wording for runAsNonRoot and runAsUser: a user namespace exempts, runAsNonRoot holds over UID 0', () => {
  // kubernetes/pod-security-admission@8f84a87 policy/check_runAsNonRoot.go lines 67-74 and helpers.go lines 39-43:
  // a pod with hostUsers: false passes; runAsNonRoot is read alone (the kubelet refuses to start UID 0 under it).
  const nonRoot: TestCase[] = [
    { name: 'nothing set is denied', object: withSc('a', {}), expect: 'deny' },
    { name: 'nothing set in a user namespace is allowed', object: withSc('b', { hostUsers: false }), expect: 'allow' },
    {
      name: 'hostUsers: true is not a user namespace, denied',
      object: withSc('c', { hostUsers: true }),
      expect: 'deny',
    },
    {
      name: 'runAsNonRoot: true beside runAsUser 0 is allowed (the kubelet will not start it as root)',
      object: withSc('d', {}, { runAsNonRoot: true, runAsUser: 0 }),
      expect: 'allow',
    },
    { name: 'runAsUser 0 alone is denied', object: withSc('e', {}, { runAsUser: 0 }), expect: 'deny' },
  ];

  it.each([
    'Containers must be required to run as non-root users, unless the pod is in a user namespace ("hostUsers: false").',
    'Containers must run as non-root users, unless the pod is in a user namespace.',
  ])('reads %j with the exemption', async (text) => {
    expect(await failuresOn(text, nonRoot)).toEqual([]);
  });

  it('reads the runAsUser check with the exemption', async () => {
    expect(
      await failuresOn(
        'Containers must not set runAsUser: 0 unless the pod is in a user namespace ("hostUsers: false").',
        [
          { name: 'runAsUser 0 is denied', object: withSc('a', {}, { runAsUser: 0 }), expect: 'deny' },
          {
            name: 'runAsUser 0 in a user namespace is allowed',
            object: withSc('b', { hostUsers: false }, { runAsUser: 0 }),
            expect: 'allow',
          },
          { name: 'runAsUser 1000 is allowed', object: withSc('c', {}, { runAsUser: 1000 }), expect: 'allow' },
        ],
      ),
    ).toEqual([]);
  });

  it('without the exemption, a pod in a user namespace is held to the rule', async () => {
    expect(
      await failuresOn('Containers must run as non-root.', [
        {
          name: 'nothing set in a user namespace is denied',
          object: withSc('a', { hostUsers: false }),
          expect: 'deny',
        },
      ]),
    ).toEqual([]);
  });
});

describe('"NET_RAW or capabilities beyond the default set": the baseline list Kubernetes names', () => {
  const adding = (name: string, add: string[]): KubeObject => ({
    ...pod([container({ securityContext: { capabilities: { add } } })]),
    metadata: { name, namespace: NS },
  });
  // kubernetes/pod-security-admission@8f84a87 policy/check_capabilities_baseline.go lines 62-76.
  const cases: TestCase[] = [
    { name: 'NET_RAW is denied', object: adding('a', ['NET_RAW']), expect: 'deny' },
    { name: 'SYS_ADMIN is denied', object: adding('b', ['SYS_ADMIN']), expect: 'deny' },
    { name: 'CHOWN and KILL are allowed', object: adding('c', ['CHOWN', 'KILL']), expect: 'allow' },
    { name: 'SYS_CHROOT is allowed', object: adding('d', ['SYS_CHROOT']), expect: 'allow' },
    { name: 'SETUID beside NET_ADMIN is denied', object: adding('e', ['SETUID', 'NET_ADMIN']), expect: 'deny' },
  ];

  it('reads the Pod Security Standards text as that allow-list', async () => {
    expect(
      await failuresOn('Adding NET_RAW or capabilities beyond the default set must be disallowed.', cases),
    ).toEqual([]);
  });

  it("refuses the runtime's default set, which differs between runtimes", () => {
    expect(refusedOffline('Adding capabilities beyond the default set must be disallowed.')).toBe(true);
  });
});

describe('the Pod Security Standards sysctls text, wrapped over two lines as upstream writes it', () => {
  const withSysctls = (name: string, sysctls: string[]): KubeObject => ({
    ...pod([container()], { securityContext: { sysctls: sysctls.map((n) => ({ name: n, value: '1' })) } }),
    metadata: { name, namespace: NS },
  });
  const cases: TestCase[] = [
    {
      name: 'a safe sysctl is allowed',
      object: withSysctls('a', ['net.ipv4.ip_unprivileged_port_start']),
      expect: 'allow',
    },
    {
      name: 'kernel.shm_rmid_forced is allowed',
      object: withSysctls('b', ['kernel.shm_rmid_forced']),
      expect: 'allow',
    },
    { name: 'an unsafe sysctl is denied', object: withSysctls('c', ['kernel.msgmax']), expect: 'deny' },
    { name: 'no sysctls are allowed', object: withSysctls('d', []), expect: 'allow' },
  ];

  it.each([
    // kubernetes/pod-security-admission@8f84a87 policy/check_sysctls.go, the check's doc comment, line break kept.
    'Sysctls can disable security mechanisms or affect all containers on a host,\nand should be disallowed except for an allowed "safe" subset.',
    'Sysctls should be disallowed except for the safe subset.',
  ])('reads %j as only the safe set allowed', async (text) => {
    expect(await failuresOn(text, cases)).toEqual([]);
  });

  it('still ends a sentence at a line break before a capital', () => {
    expect(refusedOffline('Pods must not be privileged\nThe dev namespace may run privileged pods')).toBe(true);
  });
});
