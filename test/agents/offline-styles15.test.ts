import { afterAll, describe, expect, it } from 'vitest';
import type { KubeObject, TestCase } from '../../common/index.js';
import { createSandbox } from '../../sandbox/index.js';
import { offlineFailures, refusedOffline } from './offline-harness.js';
import { container, NS, pod } from './offline-objects.js';

// Library-style wordings that were refused though their meaning is plain: the allow-list's alternatives said with
// "either … or", the service account named by its field ("a serviceAccountName other than `default`"), and a
// namespace said as what the objects use ("must not use the default namespace", "the use of the default namespace for
// Pods, Deployments and other workloads"). Each is proved by cases written here from its meaning; the inverse
// wordings stay refused or read as the inverse.

const sandbox = createSandbox({ isolation: 'inline' });
afterAll(() => sandbox.close());

const failuresOn = (text: string, cases: TestCase[]): Promise<string[]> => offlineFailures(sandbox, { text }, cases);

const imagePod = (name: string, ...images: string[]): KubeObject => ({
  ...pod(images.map((image, i) => container({ name: `c${i}`, image }))),
  metadata: { name, namespace: NS },
});

describe('"from either X or Y": the alternatives of an allow-list', () => {
  const cases: TestCase[] = [
    { name: 'an image from eu.foo.io is allowed', object: imagePod('a', 'eu.foo.io/app:1'), expect: 'allow' },
    { name: 'an image from bar.io is allowed', object: imagePod('b', 'bar.io/app:1'), expect: 'allow' },
    { name: 'a Docker Hub image is denied', object: imagePod('c', 'nginx:1.27'), expect: 'deny' },
    {
      name: 'one image from elsewhere beside an allowed one is denied',
      object: imagePod('d', 'bar.io/app:1', 'quay.io/x:1'),
      expect: 'deny',
    },
  ];

  it.each([
    'Images from unknown, public registries can be of dubious quality and may not be scanned and secured. This policy requires that all images come from either `eu.foo.io` or `bar.io`.',
    'Images must come from either eu.foo.io or bar.io.',
  ])('reads %j as images only from those two registries', async (text) => {
    expect(await failuresOn(text, cases)).toEqual([]);
  });

  it('reads "must not come from either X or Y" as a ban on both', async () => {
    const inverse = cases.map((c) => ({ ...c, expect: c.expect === 'allow' ? 'deny' : 'allow' }) as TestCase);
    // The mixed pod holds a banned image (bar.io), so it is denied under the ban too.
    inverse[3] = { ...inverse[3], expect: 'deny' };
    expect(await failuresOn('Images must not come from either eu.foo.io or bar.io.', inverse)).toEqual([]);
  });
});

describe('"a serviceAccountName other than default": the default service account named by its field', () => {
  const withAccount = (name: string, spec: Record<string, unknown>): KubeObject => ({
    ...pod([container()], spec),
    metadata: { name, namespace: NS },
  });
  const cases: TestCase[] = [
    { name: 'no serviceAccountName (the default one) is denied', object: withAccount('a', {}), expect: 'deny' },
    {
      name: 'serviceAccountName default is denied',
      object: withAccount('b', { serviceAccountName: 'default' }),
      expect: 'deny',
    },
    {
      name: 'serviceAccountName app is allowed',
      object: withAccount('c', { serviceAccountName: 'app' }),
      expect: 'allow',
    },
  ];

  it.each([
    'The default ServiceAccount should not be used by Pods. This policy ensures Pods specify a serviceAccountName other than `default`.',
    'Pods must set a serviceAccountName other than default.',
  ])('reads %j', async (text) => {
    expect(await failuresOn(text, cases)).toEqual([]);
  });

  it('refuses the inverse, which requires the default account', () => {
    expect(refusedOffline('Pods must not specify a serviceAccountName other than `default`.')).toBe(true);
    expect(refusedOffline('This policy blocks Pods that specify a serviceAccountName other than `default`.')).toBe(
      true,
    );
  });
});

describe('a namespace said as what the objects use', () => {
  const deployment = (namespace: string): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', namespace },
    spec: {
      selector: { matchLabels: { app: 'd' } },
      template: { metadata: { labels: { app: 'd' } }, spec: { containers: [container()] } },
    },
  });
  const configMap: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'default' } };
  const podCases: TestCase[] = [
    { name: 'a Pod in default is denied', object: pod([container()], {}, 'default'), expect: 'deny' },
    { name: 'a Pod in shop is allowed', object: pod([container()], {}, NS), expect: 'allow' },
    { name: 'a ConfigMap in default is not its business', object: configMap, expect: 'allow' },
  ];
  const workloadCases: TestCase[] = [
    ...podCases,
    { name: 'a Deployment in default is denied', object: deployment('default'), expect: 'deny' },
    { name: 'a Deployment in shop is allowed', object: deployment(NS), expect: 'allow' },
  ];

  it.each([
    'Pods must not use the default namespace.',
    'The default namespace must not be used by Pods.',
    'Use of the default namespace for Pods is forbidden.',
    'Using the default namespace for Pods is not allowed.',
  ])('reads %j as no Pods in default', async (text) => {
    expect(await failuresOn(text, podCases)).toEqual([]);
  });

  it.each([
    'This policy prevents the use of the default namespace for Pods, Deployments and other workloads.',
    'Kubernetes Namespaces provide a way to segment and isolate cluster resources. This policy prevents the use of the default namespace for Pods and Deployments.',
  ])('reads %j as no Pods nor pod controllers in default', async (text) => {
    expect(await failuresOn(text, workloadCases)).toEqual([]);
  });

  it('leaves a use that is required, allowed or said of other workloads alone', () => {
    expect(refusedOffline('Pods must use the default namespace.')).toBe(true);
    expect(refusedOffline('Using the default namespace for Pods is allowed.')).toBe(true);
    // "other workloads" beside Deployments alone says no Pods: not read as a rule on Pods.
    expect(
      refusedOffline('This policy prevents the use of the default namespace for Deployments and other workloads.'),
    ).toBe(true);
  });
});

describe('"this field", "these fields", "this annotation": what the sentence before names', () => {
  const hostPod = (name: string, spec: Record<string, unknown>): KubeObject => ({
    ...pod([container()], spec),
    metadata: { name, namespace: NS },
  });

  it('reads "These fields" as the hostPID and hostIPC fields named before, and nothing more', async () => {
    const text =
      "The hostPID and hostIPC fields allow a Pod to share the host's process and IPC namespaces. This policy ensures these fields are unset or set to false.";
    expect(
      await failuresOn(text, [
        { name: 'hostPID true is denied', object: hostPod('a', { hostPID: true }), expect: 'deny' },
        { name: 'hostIPC true is denied', object: hostPod('b', { hostIPC: true }), expect: 'deny' },
        { name: 'hostPID false is allowed', object: hostPod('c', { hostPID: false }), expect: 'allow' },
        // hostNetwork is not one of "these fields"
        { name: 'hostNetwork true is allowed', object: hostPod('d', { hostNetwork: true }), expect: 'allow' },
      ]),
    ).toEqual([]);
  });

  it('reads "this annotation" as the annotation named before', async () => {
    const ingress = (name: string, annotations?: Record<string, string>): KubeObject => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name, namespace: NS, ...(annotations ? { annotations } : {}) },
      spec: { ingressClassName: 'nginx' },
    });
    const text =
      'The `kubernetes.io/ingress.class` annotation is deprecated. This policy ensures Ingress resources do not use this annotation.';
    expect(
      await failuresOn(text, [
        {
          name: 'the annotation is denied',
          object: ingress('a', { 'kubernetes.io/ingress.class': 'nginx' }),
          expect: 'deny',
        },
        { name: 'no annotation is allowed', object: ingress('b'), expect: 'allow' },
        { name: 'another annotation is allowed', object: ingress('c', { team: 'web' }), expect: 'allow' },
      ]),
    ).toEqual([]);
  });

  it('refuses an anaphor with nothing, two things, or the wrong number to stand for', () => {
    expect(refusedOffline('This policy ensures these fields are unset or set to false.')).toBe(true);
    expect(
      refusedOffline(
        "The hostNetwork field lets a Pod use the node's network. This policy ensures these fields are unset or set to false.",
      ),
    ).toBe(true);
    expect(
      refusedOffline(
        'The hostPID field and the hostIPC field share namespaces. This policy ensures these fields are unset.',
      ),
    ).toBe(true);
  });
});

describe('"This policy requires that all images specify a digest"', () => {
  const DIGEST = 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

  it('reads the lead\'s "specify" as the requirement: every image pinned by digest', async () => {
    const text =
      'Images should be pulled with a digest rather than a tag so that the exact image is known. This policy requires that all images specify a digest.';
    expect(
      await failuresOn(text, [
        { name: 'an image by digest is allowed', object: imagePod('a', `nginx@${DIGEST}`), expect: 'allow' },
        { name: 'an image by tag is denied', object: imagePod('b', 'nginx:1.27'), expect: 'deny' },
        {
          name: 'a second image without a digest is denied',
          object: imagePod('c', `nginx@${DIGEST}`, 'busybox:1.36'),
          expect: 'deny',
        },
      ]),
    ).toEqual([]);
  });

  it('refuses a digest that is banned or merely allowed', () => {
    expect(refusedOffline('This policy blocks images that specify a digest.')).toBe(true);
    expect(refusedOffline('Images that specify a digest are allowed.')).toBe(true);
  });
});

describe('Pod Security wordings in a library style', () => {
  const capPod = (name: string, capabilities: Record<string, unknown>): KubeObject => ({
    ...pod([container({ securityContext: { capabilities } })]),
    metadata: { name, namespace: NS },
  });

  it('reads capability names in code quotes, and "are only permitted to add back", as the allow-list', async () => {
    const text =
      'Containers must drop `ALL` capabilities, and are only permitted to add back the `NET_BIND_SERVICE` capability. This policy ensures `ALL` capabilities are dropped and only `NET_BIND_SERVICE` may be added back.';
    expect(
      await failuresOn(text, [
        {
          name: 'drop ALL, add NET_BIND_SERVICE is allowed',
          object: capPod('a', { drop: ['ALL'], add: ['NET_BIND_SERVICE'] }),
          expect: 'allow',
        },
        { name: 'drop ALL alone is allowed', object: capPod('b', { drop: ['ALL'] }), expect: 'allow' },
        { name: 'no drop of ALL is denied', object: capPod('c', { add: ['NET_BIND_SERVICE'] }), expect: 'deny' },
        {
          name: 'adding NET_ADMIN is denied',
          object: capPod('d', { drop: ['ALL'], add: ['NET_ADMIN'] }),
          expect: 'deny',
        },
      ]),
    ).toEqual([]);
  });

  it('sets aside "or at minimum restricted to a known list" when the policy sentence says which rule is written', async () => {
    const hostPortPod = (name: string, hostPort?: number): KubeObject => ({
      ...pod([container({ ports: [{ containerPort: 8080, ...(hostPort === undefined ? {} : { hostPort }) }] })]),
      metadata: { name, namespace: NS },
    });
    const text =
      'Access to host ports allows potential snooping of network traffic and should not be allowed, or at minimum restricted to a known list. This policy ensures the `hostPort` field is unset or set to `0`.';
    expect(
      await failuresOn(text, [
        { name: 'hostPort 8080 is denied', object: hostPortPod('a', 8080), expect: 'deny' },
        { name: 'hostPort 0 is allowed', object: hostPortPod('b', 0), expect: 'allow' },
        { name: 'no hostPort is allowed', object: hostPortPod('c'), expect: 'allow' },
      ]),
    ).toEqual([]);
    // Alone, the sentence leaves open which of the two rules is meant.
    expect(refusedOffline('Host ports should not be allowed, or at minimum restricted to a known list.')).toBe(true);
  });

  it('reads "should only be created in the edge namespace" as "only allowed in" is read', async () => {
    const service = (name: string, namespace: string, type?: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace },
      spec: { ...(type ? { type } : {}), ports: [{ port: 80 }] },
    });
    expect(
      await failuresOn('Services of type LoadBalancer should only be created in the edge namespace.', [
        { name: 'a LoadBalancer in edge is allowed', object: service('a', 'edge', 'LoadBalancer'), expect: 'allow' },
        { name: 'a LoadBalancer in shop is denied', object: service('b', NS, 'LoadBalancer'), expect: 'deny' },
        { name: 'a ClusterIP Service in edge is allowed', object: service('c', 'edge', 'ClusterIP'), expect: 'allow' },
        { name: 'a default Service in shop is allowed', object: service('d', NS), expect: 'allow' },
      ]),
    ).toEqual([]);
  });
});

describe('"validates they are explicitly mounted in readOnly mode"', () => {
  const hostPathPod = (name: string, mount: Record<string, unknown>, volume: Record<string, unknown>): KubeObject => ({
    ...pod([container({ volumeMounts: [{ name: 'v', mountPath: '/v', ...mount }] })], {
      volumes: [{ name: 'v', ...volume }],
    }),
    metadata: { name, namespace: NS },
  });

  it('reads every hostPath mount required read-only, unset readOnly included', async () => {
    const text =
      'This policy checks containers for hostPath volumes and validates they are explicitly mounted in readOnly mode.';
    const host = { hostPath: { path: '/var/log' } };
    expect(
      await failuresOn(text, [
        { name: 'readOnly: true is allowed', object: hostPathPod('a', { readOnly: true }, host), expect: 'allow' },
        { name: 'readOnly unset is denied', object: hostPathPod('b', {}, host), expect: 'deny' },
        {
          name: 'an emptyDir mounted writable is allowed',
          object: hostPathPod('c', {}, { emptyDir: {} }),
          expect: 'allow',
        },
      ]),
    ).toEqual([]);
  });

  it('still refuses a qualified subject ahead of the requirement ("Pods that use hostPath volumes must …")', () => {
    expect(refusedOffline('Pods that use hostPath volumes must mount them read-only.')).toBe(true);
  });
});

describe('"on create and update": the operations said with the rule', () => {
  const privileged = (name: string, value: boolean): KubeObject => ({
    ...pod([container({ securityContext: { privileged: value } })]),
    metadata: { name, namespace: NS },
  });

  it('reads them where the rule checks exactly CREATE and UPDATE', async () => {
    expect(
      await failuresOn('Deny privileged containers on create and update.', [
        { name: 'a privileged Pod is denied on CREATE', object: privileged('a', true), expect: 'deny' },
        {
          name: 'an UPDATE to a privileged Pod is denied',
          operation: 'UPDATE',
          object: privileged('b', true),
          oldObject: privileged('b', false),
          expect: 'deny',
        },
        { name: 'an unprivileged Pod is allowed', object: privileged('c', false), expect: 'allow' },
      ]),
    ).toEqual([]);
  });

  it('refuses them beside a rule that checks other operations, naming the words', () => {
    // kind-in-namespace checks CREATE only; delete-protection checks DELETE.
    expect(refusedOffline('Deny Pods in the default namespace on create and update.')).toBe(true);
    expect(refusedOffline('Namespaces labelled protected=true must not be deleted on create and update.')).toBe(true);
  });
});

describe('a list introduced by "the following …:", and a kind named only to describe what a Pod mounts', () => {
  const hostPod = (name: string, spec: Record<string, unknown>): KubeObject => ({
    ...pod([container()], spec),
    metadata: { name, namespace: NS },
  });

  it('reads "the following fields are unset or set to false: a, b and c" as those fields', async () => {
    const text =
      'This policy ensures the following fields are unset or set to false: spec.hostNetwork, spec.hostIPC and spec.hostPID.';
    expect(
      await failuresOn(text, [
        { name: 'hostNetwork true is denied', object: hostPod('a', { hostNetwork: true }), expect: 'deny' },
        { name: 'hostIPC true is denied', object: hostPod('b', { hostIPC: true }), expect: 'deny' },
        { name: 'hostPID true is denied', object: hostPod('c', { hostPID: true }), expect: 'deny' },
        { name: 'all false is allowed', object: hostPod('d', { hostNetwork: false, hostPID: false }), expect: 'allow' },
      ]),
    ).toEqual([]);
  });

  it('reads "A ServiceAccount token should only be mounted when needed" as background, not a rule for ServiceAccounts', async () => {
    const text =
      'A ServiceAccount token should only be mounted when needed. This policy requires that `automountServiceAccountToken` is set to `false` on Pods.';
    expect(
      await failuresOn(text, [
        {
          name: 'automount false is allowed',
          object: hostPod('a', { automountServiceAccountToken: false }),
          expect: 'allow',
        },
        {
          name: 'automount true is denied',
          object: hostPod('b', { automountServiceAccountToken: true }),
          expect: 'deny',
        },
        { name: 'automount unset is denied', object: hostPod('c', {}), expect: 'deny' },
      ]),
    ).toEqual([]);
    // A rule said of another kind beside the policy sentence is still refused (offline-hunt15).
    expect(
      refusedOffline(
        'Ingresses must not be of type NodePort. This policy ensures Services of type LoadBalancer are denied.',
      ),
    ).toBe(true);
  });
});

describe('a list set out as bullets after a colon', () => {
  it('is the list said in the sentence', async () => {
    const text =
      'This policy ensures the following fields are unset or set to false:\n- spec.hostNetwork\n- spec.hostIPC\n- spec.hostPID';
    const hostPod = (name: string, spec: Record<string, unknown>): KubeObject => ({
      ...pod([container()], spec),
      metadata: { name, namespace: NS },
    });
    expect(
      await failuresOn(text, [
        { name: 'hostNetwork true is denied', object: hostPod('a', { hostNetwork: true }), expect: 'deny' },
        { name: 'hostPID true is denied', object: hostPod('b', { hostPID: true }), expect: 'deny' },
        { name: 'none is allowed', object: hostPod('c', {}), expect: 'allow' },
      ]),
    ).toEqual([]);
  });

  it('bans only the capabilities listed', async () => {
    const capPod = (name: string, add: string[]): KubeObject => ({
      ...pod([container({ securityContext: { capabilities: { add } } })]),
      metadata: { name, namespace: NS },
    });
    expect(
      await failuresOn('Containers must not add these capabilities:\n- NET_ADMIN\n- SYS_ADMIN\n', [
        { name: 'NET_ADMIN is denied', object: capPod('a', ['NET_ADMIN']), expect: 'deny' },
        { name: 'SYS_ADMIN is denied', object: capPod('b', ['SYS_ADMIN']), expect: 'deny' },
        { name: 'CHOWN is allowed', object: capPod('c', ['CHOWN']), expect: 'allow' },
      ]),
    ).toEqual([]);
    // A sentence after the list that adds what no family places is still read, and refused.
    expect(
      refusedOffline(
        'Containers must not add these capabilities:\n- NET_ADMIN\n- SYS_ADMIN\n\nOther capabilities are fine.',
      ),
    ).toBe(true);
  });
});

describe('readings the session-15 checks had lost, restored', () => {
  const scPod = (name: string, securityContext: Record<string, unknown>): KubeObject => ({
    ...pod([container({ securityContext })]),
    metadata: { name, namespace: NS },
  });

  it('cuts only the reason before "and should be required", not the rule after it', async () => {
    const text =
      'The default /proc masks are set up to reduce attack surface and should be required. This policy ensures nothing but the default procMount can be specified.';
    expect(
      await failuresOn(text, [
        { name: 'procMount Unmasked is denied', object: scPod('a', { procMount: 'Unmasked' }), expect: 'deny' },
        { name: 'procMount Default is allowed', object: scPod('b', { procMount: 'Default' }), expect: 'allow' },
        { name: 'no procMount is allowed', object: scPod('c', {}), expect: 'allow' },
      ]),
    ).toEqual([]);
    // The reason still never swallows a rule that follows it without "and" (offline-hunt15).
    expect(
      refusedOffline(
        'For pods labelled tier=web, to avoid noisy neighbours, CPU limits should be set on all containers.',
      ),
    ).toBe(true);
  });

  it('reads "a custom SELinux user or role option" as SELinux words, not a rule for Roles', async () => {
    const text =
      'Setting the SELinux type is restricted, and setting a custom SELinux user or role option is forbidden. This policy ensures that the `seLinuxOptions` field is undefined.';
    expect(
      await failuresOn(text, [
        {
          name: 'seLinuxOptions set is denied',
          object: scPod('a', { seLinuxOptions: { type: 'spc_t' } }),
          expect: 'deny',
        },
        { name: 'no seLinuxOptions is allowed', object: scPod('b', {}), expect: 'allow' },
      ]),
    ).toEqual([]);
  });
});

describe('field-equality: a value the API server would reject for a built-in field', () => {
  const service = (name: string, type: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: NS },
    spec: { type, ports: [{ port: 80 }] },
  });

  it('is refused: "clusterip" is no Service type, so a ban on it would never fire', () => {
    // Read before, and verified against its own cases (Services of type "clusterip", which the API server rejects),
    // the policy let every real ClusterIP Service through.
    expect(refusedOffline('Deny Services where spec.type is clusterip.')).toBe(true);
    expect(refusedOffline('Deny Pods where spec.restartPolicy is never.')).toBe(true);
    expect(refusedOffline('Deny Services whose spec.externalTrafficPolicy is local.')).toBe(true);
  });

  it('still reads the spelling the API server accepts', async () => {
    expect(
      await failuresOn('Deny Services where spec.type is ClusterIP.', [
        { name: 'a ClusterIP Service is denied', object: service('a', 'ClusterIP'), expect: 'deny' },
        { name: 'a NodePort Service is allowed', object: service('b', 'NodePort'), expect: 'allow' },
      ]),
    ).toEqual([]);
  });
});
