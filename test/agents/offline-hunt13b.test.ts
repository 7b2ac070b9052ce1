import { afterAll, describe, expect, it } from 'vitest';
import type { KubeObject, TestCase } from '../../common/index.js';
import { createSandbox } from '../../sandbox/index.js';
import { offlineFailures, refusedOffline } from './offline-harness.js';

// Intents about custom resources, RBAC, networking, storage and scheduling, written here in the style of public
// policy libraries' descriptions. Each class the offline planner read as something other than what the sentence
// means is now read right or refused; the cases are written from the sentence's meaning, not from the plan.

const sandbox = createSandbox();
afterAll(() => sandbox.close());

/** Generates offline and runs cases written here, from the intent's true meaning, against the policy. */
const failuresOn = (text: string, cases: TestCase[]): Promise<string[]> => offlineFailures(sandbox, { text }, cases);

function obj(apiVersion: string, kind: string, body: Record<string, unknown>, namespace?: string): KubeObject {
  return { apiVersion, kind, metadata: { name: 'x', ...(namespace ? { namespace } : {}) }, ...body } as KubeObject;
}
const inTeam = (apiVersion: string, kind: string, spec: Record<string, unknown>): KubeObject =>
  obj(apiVersion, kind, { spec }, 'team');
const pod = (spec: Record<string, unknown> = {}): KubeObject =>
  inTeam('v1', 'Pod', { containers: [{ name: 'c', image: 'registry.example.com/app:1.0' }], ...spec });
const deployment = (spec: Record<string, unknown> = {}, podSpec: Record<string, unknown> = {}): KubeObject =>
  inTeam('apps/v1', 'Deployment', {
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'c', image: 'registry.example.com/app:1.0' }], ...podSpec },
    },
    ...spec,
  });
const service = (spec: Record<string, unknown>): KubeObject =>
  inTeam('v1', 'Service', { ports: [{ port: 80 }], ...spec });
const hpa = (spec: Record<string, unknown>): KubeObject =>
  inTeam('autoscaling/v2', 'HorizontalPodAutoscaler', {
    maxReplicas: 5,
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
    ...spec,
  });

describe('field-equality: the value as the object holds it', () => {
  it('keeps a percentage a string: "maxUnavailable is 100%" is "100%", not the number 100', async () => {
    // Read before as 100: the Rollout with "100%" was admitted, a PodDisruptionBudget with minAvailable 100 denied.
    expect(
      await failuresOn('Deny Rollouts where spec.strategy.canary.maxUnavailable is 100%.', [
        {
          name: '100%',
          object: inTeam('argoproj.io/v1alpha1', 'Rollout', { strategy: { canary: { maxUnavailable: '100%' } } }),
          expect: 'deny',
        },
        {
          name: '25%',
          object: inTeam('argoproj.io/v1alpha1', 'Rollout', { strategy: { canary: { maxUnavailable: '25%' } } }),
          expect: 'allow',
        },
      ]),
    ).toEqual([]);
    expect(
      await failuresOn('Deny PodDisruptionBudgets where spec.minAvailable is 100%.', [
        { name: '100%', object: inTeam('policy/v1', 'PodDisruptionBudget', { minAvailable: '100%' }), expect: 'deny' },
        {
          name: '100 pods',
          object: inTeam('policy/v1', 'PodDisruptionBudget', { minAvailable: 100 }),
          expect: 'allow',
        },
      ]),
    ).toEqual([]);
  });

  it('matches a number or boolean said in prose in its string form (ConfigMap data, quota quantities)', async () => {
    // Compared with the boolean true and the number 0, the strings "true" and "0" were admitted.
    expect(
      await failuresOn('Deny ConfigMaps where data.debug is true.', [
        { name: '"true"', object: obj('v1', 'ConfigMap', { data: { debug: 'true' } }, 'team'), expect: 'deny' },
        { name: '"false"', object: obj('v1', 'ConfigMap', { data: { debug: 'false' } }, 'team'), expect: 'allow' },
      ]),
    ).toEqual([]);
    expect(
      await failuresOn('Deny ResourceQuotas where spec.hard.pods is 0.', [
        { name: '"0"', object: inTeam('v1', 'ResourceQuota', { hard: { pods: '0' } }), expect: 'deny' },
        { name: '"10"', object: inTeam('v1', 'ResourceQuota', { hard: { pods: '10' } }), expect: 'allow' },
      ]),
    ).toEqual([]);
    expect(
      await failuresOn('Deny Certificates whose spec.privateKey.size is 1024.', [
        {
          name: '1024',
          object: inTeam('cert-manager.io/v1', 'Certificate', { privateKey: { size: 1024 } }),
          expect: 'deny',
        },
        {
          name: '2048',
          object: inTeam('cert-manager.io/v1', 'Certificate', { privateKey: { size: 2048 } }),
          expect: 'allow',
        },
      ]),
    ).toEqual([]);
  });

  it('refuses a word that says whether the field is there ("is set", "is unset"), read before as its value', () => {
    // "is unset" denied a kmsKeyRef holding the string "unset" and admitted the topic without one: the opposite.
    for (const text of [
      'Deny ClusterIssuers where spec.selfSigned is set.',
      'Deny PubSubTopics where spec.kmsKeyRef is unset.',
      'Deny Ingresses where spec.rules is empty.',
      'Deny Certificates where spec.secretTemplate is missing.',
    ])
      expect(refusedOffline(text), text).toBe(true);
  });

  it('refuses a list field compared with one value, and a custom resource flag said to be false', () => {
    // ["Egress"] never equals "Egress": every NetworkPolicy was admitted. An unset CRD flag may default either way.
    for (const text of [
      'Deny NetworkPolicies where spec.policyTypes is Egress.',
      'Deny Services where spec.ipFamilies is IPv6.',
      'Deny StorageBuckets where spec.versioning.enabled is false.',
      'Deny SQLInstances where spec.settings.ipConfiguration.requireSsl is false.',
    ])
      expect(refusedOffline(text), text).toBe(true);
  });
});

describe("field-equality: a ban on a built-in field's default value denies the object that leaves it out", () => {
  it('Services: an unset type is ClusterIP, an unset sessionAffinity None', async () => {
    // Read before as a ban on the value written out: the Service without a type (a ClusterIP one) was admitted.
    expect(
      await failuresOn('Deny Services where spec.type is ClusterIP.', [
        { name: 'no type', object: service({}), expect: 'deny' },
        { name: 'ClusterIP', object: service({ type: 'ClusterIP' }), expect: 'deny' },
        { name: 'NodePort', object: service({ type: 'NodePort' }), expect: 'allow' },
      ]),
    ).toEqual([]);
    expect(
      await failuresOn('Deny Services where spec.type is NodePort.', [
        { name: 'no type', object: service({}), expect: 'allow' },
        { name: 'NodePort', object: service({ type: 'NodePort' }), expect: 'deny' },
      ]),
    ).toEqual([]);
    expect(
      await failuresOn('Deny Services where spec.sessionAffinity is None.', [
        { name: 'unset', object: service({}), expect: 'deny' },
        { name: 'ClientIP', object: service({ sessionAffinity: 'ClientIP' }), expect: 'allow' },
      ]),
    ).toEqual([]);
  });

  it('workloads: replicas 1 and the RollingUpdate strategy are the defaults', async () => {
    expect(
      await failuresOn('Deny Deployments where spec.strategy.type is RollingUpdate.', [
        { name: 'no strategy', object: deployment(), expect: 'deny' },
        { name: 'Recreate', object: deployment({ strategy: { type: 'Recreate' } }), expect: 'allow' },
      ]),
    ).toEqual([]);
    expect(
      await failuresOn('Deny Deployments where spec.replicas is 1.', [
        { name: 'no replicas', object: deployment(), expect: 'deny' },
        { name: '3 replicas', object: deployment({ replicas: 3 }), expect: 'allow' },
      ]),
    ).toEqual([]);
    expect(
      await failuresOn('Deny HorizontalPodAutoscalers where spec.minReplicas is 1.', [
        { name: 'no minReplicas', object: hpa({}), expect: 'deny' },
        { name: 'minReplicas 2', object: hpa({ minReplicas: 2 }), expect: 'allow' },
      ]),
    ).toEqual([]);
  });

  it('the pod spec: an unset flag is off, but enableServiceLinks is on; pod templates too', async () => {
    expect(
      await failuresOn('Deny Pods where spec.hostNetwork is false.', [
        { name: 'unset', object: pod(), expect: 'deny' },
        { name: 'true', object: pod({ hostNetwork: true }), expect: 'allow' },
      ]),
    ).toEqual([]);
    expect(
      await failuresOn('Deny Pods where spec.hostNetwork is true.', [
        { name: 'unset', object: pod(), expect: 'allow' },
        { name: 'a Deployment with it', object: deployment({}, { hostNetwork: true }), expect: 'deny' },
      ]),
    ).toEqual([]);
    expect(
      await failuresOn('Deny Pods where spec.enableServiceLinks is true.', [
        { name: 'unset', object: pod(), expect: 'deny' },
        { name: 'a Deployment leaving it out', object: deployment(), expect: 'deny' },
        { name: 'false', object: pod({ enableServiceLinks: false }), expect: 'allow' },
      ]),
    ).toEqual([]);
  });

  it('refuses a default that depends on the Service type', () => {
    // externalTrafficPolicy exists on NodePort and LoadBalancer Services only: unset on a ClusterIP one is not Cluster.
    expect(refusedOffline('Deny Services whose spec.externalTrafficPolicy is Cluster.')).toBe(true);
  });

  it('known-field: an unset allowVolumeExpansion is false', async () => {
    const sc = (extra: Record<string, unknown>): KubeObject =>
      obj('storage.k8s.io/v1', 'StorageClass', { provisioner: 'csi.example.com', ...extra });
    // Read before as a ban on the value written out: the StorageClass without it, which cannot expand, was admitted.
    expect(
      await failuresOn('Deny StorageClasses where allowVolumeExpansion is false.', [
        { name: 'unset', object: sc({}), expect: 'deny' },
        { name: 'false', object: sc({ allowVolumeExpansion: false }), expect: 'deny' },
        { name: 'true', object: sc({ allowVolumeExpansion: true }), expect: 'allow' },
      ]),
    ).toEqual([]);
  });
});

describe('a kind two custom resource groups share (Gateway: Istio and the Gateway API)', () => {
  const gateway = (gatewayClassName: string): KubeObject =>
    inTeam('gateway.networking.k8s.io/v1', 'Gateway', { gatewayClassName, listeners: [] });

  it('is the Gateway API one where the text names its field', async () => {
    // Taken before as Istio's Gateway (the first listed), which has no gatewayClassName: the Gateway API Gateway was
    // never selected, so it was admitted.
    expect(
      await failuresOn('Deny Gateways whose spec.gatewayClassName is internal.', [
        { name: 'class internal', object: gateway('internal'), expect: 'deny' },
        { name: 'class public', object: gateway('public'), expect: 'allow' },
      ]),
    ).toEqual([]);
  });

  it('is refused where nothing says which', () => {
    for (const text of [
      'Gateways must have the label team.',
      'Gateways must not be deleted.',
      'Deny Gateways where spec.servers.tls.mode is PASSTHROUGH.',
    ])
      expect(refusedOffline(text), text).toBe(true);
  });
});

describe('rbac-rules: a role kind the grant is on', () => {
  it('is refused, not read as one more kind the rule checks', () => {
    // Read before as "ClusterRoles and Roles must not grant the escalate, bind verbs": a Role was denied too.
    for (const text of [
      'ClusterRoles must not grant the bind or escalate verbs on roles.',
      'ClusterRoles must not grant the escalate verb on Roles.',
    ])
      expect(refusedOffline(text), text).toBe(true);
  });

  it('still reads the verbs banned with the kind that grants them', async () => {
    const clusterRole = (verbs: string[]): KubeObject =>
      obj('rbac.authorization.k8s.io/v1', 'ClusterRole', {
        rules: [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs }],
      });
    expect(
      await failuresOn('ClusterRoles must not grant the escalate verb.', [
        { name: 'escalate', object: clusterRole(['escalate']), expect: 'deny' },
        { name: 'get', object: clusterRole(['get']), expect: 'allow' },
      ]),
    ).toEqual([]);
  });
});
