import { afterAll, describe, expect, it } from 'vitest';
import { understandOffline } from '../../agents/index.js';
import type { KubeObject, TestCase } from '../../common/index.js';
import { createSandbox } from '../../sandbox/index.js';
import { offlineFailures, refusedOffline } from './offline-harness.js';

// Offline readings of rules about objects other than pod specs (Services, Ingresses, Namespaces, RBAC, ConfigMaps
// and Secrets, claims, CronJobs …), worded the way policy libraries describe them. Each misreading found is pinned
// here: the text is read right, proved on objects written by hand from what it means, or refused.

const sandbox = createSandbox();
afterAll(() => sandbox.close());

const refused = refusedOffline;

/** Generates offline and runs cases written here, from the intent's true meaning, against the policy. */
const failuresOn = (text: string, cases: TestCase[]): Promise<string[]> => offlineFailures(sandbox, { text }, cases);

function namespace(labels?: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a', ...(labels ? { labels } : {}) } };
}

function service(annotations?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 's', namespace: 'shop', ...(annotations ? { annotations } : {}) },
    spec: { ports: [{ port: 80 }] },
  };
}

describe('a label or annotation value that reads as a negation or a boolean', () => {
  it('reads "set the label K to restricted / disabled / none" as that value required, never as a ban on it', async () => {
    const enforce = 'pod-security.kubernetes.io/enforce';
    for (const text of [
      `Namespaces must set the label ${enforce} to restricted.`,
      `Every Namespace should set the label ${enforce} to restricted.`,
    ]) {
      expect(understandOffline({ text }).family).toBe('metadata-required');
      expect(
        await failuresOn(text, [
          { name: 'restricted admitted', object: namespace({ [enforce]: 'restricted' }), expect: 'allow' },
          { name: 'baseline denied', object: namespace({ [enforce]: 'baseline' }), expect: 'deny' },
          { name: 'unlabelled denied', object: namespace(), expect: 'deny' },
        ]),
        text,
      ).toEqual([]);
    }
    const text = 'Namespaces must set the label istio-injection to disabled.';
    expect(
      await failuresOn(text, [
        { name: 'disabled admitted', object: namespace({ 'istio-injection': 'disabled' }), expect: 'allow' },
        { name: 'enabled denied', object: namespace({ 'istio-injection': 'enabled' }), expect: 'deny' },
      ]),
    ).toEqual([]);
    expect(understandOffline({ text: 'Deployments must set the label egress to none.' }).plan.rationale).toMatch(
      /must carry a non-empty label egress=none/,
    );
  });

  it('reads "the annotation K: false" as the value "false" required', async () => {
    const text = 'Services must have the annotation prometheus.io/scrape: false.';
    expect(
      await failuresOn(text, [
        { name: 'false admitted', object: service({ 'prometheus.io/scrape': 'false' }), expect: 'allow' },
        { name: 'true denied', object: service({ 'prometheus.io/scrape': 'true' }), expect: 'deny' },
        { name: 'unannotated denied', object: service(), expect: 'deny' },
      ]),
    ).toEqual([]);
  });

  it('refuses "the label K … must be <value>" (one value), which banned the key or dropped the value', () => {
    for (const text of [
      'The label pod-security.kubernetes.io/enforce on Namespaces must be restricted.',
      'The label istio-injection on Namespaces must be disabled.',
      'The label istio-injection on Namespaces must be enabled.',
      'The annotation sidecar.istio.io/inject on Pods must be false.',
      'The annotation sidecar.istio.io/inject on Pods must be true.',
      'The annotation prometheus.io/scrape on Services must be set to false.',
      'The annotation prometheus.io/scrape on Services must be set to true.',
      'Deny Namespaces where the pod-security.kubernetes.io/enforce label is not restricted.',
    ])
      expect(refused(text), text).toBe(true);
  });

  it('reads "warn" inside a key as part of the key, neither a ban nor a warning', async () => {
    const warn = 'pod-security.kubernetes.io/warn';
    const text = `Namespaces must have the label ${warn}.`;
    const u = understandOffline({ text });
    expect(u.family).toBe('metadata-required');
    expect(u.spec.violationPolicy).toBeUndefined();
    expect(
      await failuresOn(text, [
        { name: 'labelled admitted', object: namespace({ [warn]: 'restricted' }), expect: 'allow' },
        { name: 'unlabelled denied', object: namespace(), expect: 'deny' },
      ]),
    ).toEqual([]);
    expect(understandOffline({ text: `Namespaces must set the label ${warn} to baseline.` }).family).toBe(
      'metadata-required',
    );
  });
});

describe('which role a binding rule is about', () => {
  it('refuses "only … may be bound to ClusterRoles / any ClusterRole / privileged ClusterRoles" (no role named)', () => {
    for (const text of [
      'Only the group platform may be bound to ClusterRoles.',
      'Only the group platform may be bound to any ClusterRole.',
      'Only the group platform may be bound to a ClusterRole.',
      'Only the group ops may be bound to privileged ClusterRoles.',
    ])
      expect(refused(text), text).toBe(true);
  });

  it('still reads a named role', async () => {
    const text = 'Only the users alice and bob may be bound to the cluster-admin ClusterRole.';
    const binding = (subject: Record<string, unknown>, role = 'cluster-admin'): KubeObject => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'b' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
      subjects: [subject],
    });
    const user = (name: string) => ({ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name });
    expect(
      await failuresOn(text, [
        { name: 'alice admitted', object: binding(user('alice')), expect: 'allow' },
        { name: 'eve denied', object: binding(user('eve')), expect: 'deny' },
        { name: 'eve bound to view admitted', object: binding(user('eve'), 'view'), expect: 'allow' },
      ]),
    ).toEqual([]);
  });
});

describe('a list of values for a well-known field', () => {
  it('refuses "X or Y" for a field known-field reads one value of (it kept the first)', () => {
    for (const text of [
      'Secrets must be of type Opaque or kubernetes.io/tls.',
      'CronJobs must set concurrencyPolicy to Forbid or Replace.',
      'CronJobs must not set concurrencyPolicy to Allow or Replace.',
      'StorageClasses must set reclaimPolicy to Retain or Delete.',
      'PersistentVolumeClaims must set volumeMode to Filesystem or Block.',
      'CronJobs must set concurrencyPolicy to Forbid, Replace.',
    ])
      expect(refused(text), text).toBe(true);
  });

  it('still reads one value, a comma clause after it included', async () => {
    const text = 'CronJobs must set concurrencyPolicy to Forbid, so that runs never overlap.';
    const cron = (concurrencyPolicy: string): KubeObject => ({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'c', namespace: 'shop' },
      spec: {
        schedule: '0 * * * *',
        concurrencyPolicy,
        jobTemplate: {
          spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x:1' }] } } },
        },
      },
    });
    expect(
      await failuresOn(text, [
        { name: 'Forbid admitted', object: cron('Forbid'), expect: 'allow' },
        { name: 'Replace denied', object: cron('Replace'), expect: 'deny' },
      ]),
    ).toEqual([]);
  });
});

describe('zero in an int-or-percent field', () => {
  it('reads "maxUnavailable to 0" as 0 and "0%" alike (both allow no disruption)', async () => {
    const pdb = (maxUnavailable: number | string): KubeObject => ({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'p', namespace: 'shop' },
      spec: { selector: { matchLabels: { app: 'a' } }, maxUnavailable },
    });
    for (const text of [
      'PodDisruptionBudgets must not set maxUnavailable to 0.',
      'PodDisruptionBudgets must not set maxUnavailable to 0%.',
    ])
      expect(
        await failuresOn(text, [
          { name: '0 denied', object: pdb(0), expect: 'deny' },
          { name: '"0%" denied', object: pdb('0%'), expect: 'deny' },
          { name: '1 admitted', object: pdb(1), expect: 'allow' },
          { name: '"10%" admitted', object: pdb('10%'), expect: 'allow' },
        ]),
        text,
      ).toEqual([]);
  });
});

describe('what a wildcard rule on Roles covers', () => {
  it('reads "the `*` verb on any resource" as the verbs list only', async () => {
    const role = (resources: string[], verbs: string[]): KubeObject => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'r', namespace: 'shop' },
      rules: [{ apiGroups: [''], resources, verbs }],
    });
    for (const text of [
      'Roles may not grant the `*` verb on any resource.',
      'Roles must not use wildcard verbs on any resource.',
    ])
      expect(
        await failuresOn(text, [
          { name: "'*' verbs denied", object: role(['pods'], ['*']), expect: 'deny' },
          { name: "get on '*' resources admitted", object: role(['*'], ['get']), expect: 'allow' },
        ]),
        text,
      ).toEqual([]);
  });
});

describe('an immutable ConfigMap or Secret made before the policy', () => {
  it('lets an older immutable object be updated under a ban on immutable (it can never become mutable)', async () => {
    const configMap = (immutable: boolean | undefined, labels?: Record<string, string>): KubeObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'shop', ...(labels ? { labels } : {}) },
      data: { a: 'b' },
      ...(immutable === undefined ? {} : { immutable }),
    });
    const text = 'ConfigMaps must not be immutable.';
    expect(
      await failuresOn(text, [
        {
          name: 'an older immutable ConfigMap relabelled is admitted',
          operation: 'UPDATE',
          object: configMap(true, { touched: 'yes' }),
          oldObject: configMap(true),
          expect: 'allow',
        },
        { name: 'an immutable ConfigMap created is denied', object: configMap(true), expect: 'deny' },
        {
          name: 'a ConfigMap made immutable is denied',
          operation: 'UPDATE',
          object: configMap(true),
          oldObject: configMap(undefined),
          expect: 'deny',
        },
      ]),
    ).toEqual([]);
  });
});

describe('"immutable" in a label or annotation rule', () => {
  it('reads "the label K must be / is immutable" as a rule on changes, never as the label banned', async () => {
    const text = 'The label team on Namespaces must be immutable.';
    expect(understandOffline({ text }).family).toBe('immutable-metadata');
    expect(
      await failuresOn(text, [
        { name: 'a labelled Namespace created is admitted', object: namespace({ team: 'a' }), expect: 'allow' },
        {
          name: 'changing the label is denied',
          operation: 'UPDATE',
          object: namespace({ team: 'b' }),
          oldObject: namespace({ team: 'a' }),
          expect: 'deny',
        },
      ]),
    ).toEqual([]);
    expect(understandOffline({ text: 'The owner annotation of Services is immutable.' }).family).toBe(
      'immutable-metadata',
    );
  });

  it('refuses "must not be immutable" and a key named immutable (read as a requirement before)', () => {
    for (const text of [
      'The label team on Namespaces must not be immutable.',
      'Namespaces must not have the label immutable.',
    ])
      expect(refused(text), text).toBe(true);
  });
});

describe('an ingress class whose name is a negating word', () => {
  it('reads "the ingress class none / named disabled" as that name, with the polarity the text has', async () => {
    const ingress = (ingressClassName?: string): KubeObject => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'i', namespace: 'shop' },
      spec: {
        ...(ingressClassName ? { ingressClassName } : {}),
        rules: [{ host: 'a.example.com' }],
      },
    });
    expect(
      await failuresOn('Ingresses must not use the ingress class none.', [
        { name: 'none denied', object: ingress('none'), expect: 'deny' },
        { name: 'nginx admitted', object: ingress('nginx'), expect: 'allow' },
      ]),
    ).toEqual([]);
    expect(
      await failuresOn('Ingresses must use the ingress class named disabled.', [
        { name: 'disabled admitted', object: ingress('disabled'), expect: 'allow' },
        { name: 'nginx denied', object: ingress('nginx'), expect: 'deny' },
      ]),
    ).toEqual([]);
  });
});

describe('a role or subject whose name is a negating word', () => {
  it('never reads "must reference the restricted ClusterRole" as a ban on binding it', async () => {
    expect(refused('RoleBindings must reference the restricted ClusterRole.')).toBe(true);
    const binding = (role: string): KubeObject => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'b', namespace: 'shop' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'eve' }],
    });
    expect(
      await failuresOn('RoleBindings must not reference the restricted ClusterRole.', [
        { name: 'restricted denied', object: binding('restricted'), expect: 'deny' },
        { name: 'view admitted', object: binding('view'), expect: 'allow' },
      ]),
    ).toEqual([]);
  });
});
