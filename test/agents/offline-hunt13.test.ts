import { afterAll, describe, expect, it } from 'vitest';
import type { KubeObject, TestCase } from '../../common/index.js';
import { createSandbox } from '../../sandbox/index.js';
import { offlineFailures, podWithSpec, refusedOffline } from './offline-harness.js';

// Intents written here in the style of public policy libraries' descriptions. Each class the offline planner read
// as something other than what the sentence means is now read right or refused; the cases are written from the
// sentence's meaning, not from the planner's plan.

const sandbox = createSandbox();
afterAll(() => sandbox.close());

/** Generates offline and runs cases written here, from the intent's true meaning, against the policy. */
const failuresOn = (text: string, cases: TestCase[]): Promise<string[]> => offlineFailures(sandbox, { text }, cases);

const pod = podWithSpec;

const podWith = (container: Record<string, unknown>): KubeObject =>
  pod({ containers: [{ name: 'c', image: 'registry.example.com/app:1.0', ...container }] });

describe('a path written as a lone slash is a value, not punctuation', () => {
  it('refuses "hostPath volumes must not mount /", which bans one path, not every hostPath volume', () => {
    // Read before as "hostPath volumes are not allowed": the slash was never seen, so /var/log was denied too.
    for (const text of [
      'hostPath volumes must not mount /.',
      'Pods must not mount the path / as hostPath.',
      'The hostPath path must not be /.',
    ])
      expect(refusedOffline(text), text).toBe(true);
  });

  it('still reads a hostPath ban that names no path, and a slash between two words', async () => {
    expect(
      await failuresOn('hostPath volumes are not allowed.', [
        {
          name: 'a hostPath volume',
          object: pod({ volumes: [{ name: 'h', hostPath: { path: '/var/log' } }] }),
          expect: 'deny',
        },
        { name: 'an emptyDir volume', object: pod({ volumes: [{ name: 'e', emptyDir: {} }] }), expect: 'allow' },
      ]),
    ).toEqual([]);
    expect(refusedOffline('Pods must not use hostNetwork / hostPID.')).toBe(false);
  });
});

describe('"must not set allowPrivilegeEscalation" with no value', () => {
  it('is refused: the field left out is what it asks for, and the ban on escalation required the field', () => {
    // Read before as "containers must set allowPrivilegeEscalation: false", which denies a container without it.
    for (const text of [
      'Containers must not set allowPrivilegeEscalation.',
      'allowPrivilegeEscalation must not be specified.',
      'Containers must not define allowPrivilegeEscalation.',
    ])
      expect(refusedOffline(text), text).toBe(true);
  });

  it('still reads the field banned with a value', async () => {
    expect(
      await failuresOn('allowPrivilegeEscalation must not be true for any container.', [
        { name: 'true', object: podWith({ securityContext: { allowPrivilegeEscalation: true } }), expect: 'deny' },
        { name: 'false', object: podWith({ securityContext: { allowPrivilegeEscalation: false } }), expect: 'allow' },
      ]),
    ).toEqual([]);
  });
});

describe('the capability named ALL', () => {
  const adds = (...add: string[]): KubeObject => podWith({ securityContext: { capabilities: { add } } });

  it('reads "Capabilities ALL must not be added" as a ban on adding ALL, not on adding any capability', async () => {
    // Read before as "containers must not add capabilities": a container adding NET_BIND_SERVICE was denied.
    for (const text of ['Capabilities ALL must not be added.', 'The ALL capability must not be added.'])
      expect(
        await failuresOn(text, [
          { name: 'ALL added', object: adds('ALL'), expect: 'deny' },
          { name: 'NET_BIND_SERVICE added', object: adds('NET_BIND_SERVICE'), expect: 'allow' },
          { name: 'nothing added', object: podWith({}), expect: 'allow' },
        ]),
        text,
      ).toEqual([]);
  });

  it('refuses "must not add all capabilities": the capability ALL, or every capability, is not said', () => {
    for (const text of ['Containers must not add all capabilities.', 'Containers must not add ALL capabilities.'])
      expect(refusedOffline(text), text).toBe(true);
  });
});

describe('a kind of container given a rule of its own', () => {
  it('refuses a statement that gives init containers another demand than the other containers', () => {
    // Each was read as one rule over every container: init containers were held to the registry they are free of,
    // and every container had to set both limits.
    for (const text of [
      'Images must come from registry.example.com for containers and from any registry for init containers.',
      'Containers must set memory limits, and init containers must set CPU limits.',
    ])
      expect(refusedOffline(text), text).toBe(true);
  });

  it('still reads init containers named as more of the containers the rule covers', async () => {
    const withInit = (init: Record<string, unknown>): KubeObject =>
      pod({ initContainers: [{ name: 'init', image: 'registry.example.com/init:1', ...init }] });
    for (const text of [
      'Containers and init containers must not be privileged.',
      'Containers, including init containers, must not be privileged.',
    ])
      expect(
        await failuresOn(text, [
          {
            name: 'a privileged init container',
            object: withInit({ securityContext: { privileged: true } }),
            expect: 'deny',
          },
          { name: 'a plain init container', object: withInit({}), expect: 'allow' },
        ]),
        text,
      ).toEqual([]);
  });
});

describe("a ban on a field's value that is the API server's default", () => {
  const obj = (kind: string, apiVersion: string, rest: Record<string, unknown>): KubeObject => ({
    apiVersion,
    kind,
    metadata: { name: 'o', namespace: 'default' },
    ...rest,
  });
  const cron = (spec: Record<string, unknown>): KubeObject =>
    obj('CronJob', 'batch/v1', {
      spec: {
        schedule: '0 * * * *',
        jobTemplate: {
          spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x:1' }] } } },
        },
        ...spec,
      },
    });
  const hpa = (spec: Record<string, unknown>): KubeObject =>
    obj('HorizontalPodAutoscaler', 'autoscaling/v2', {
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd' }, maxReplicas: 5, ...spec },
    });
  const svc = (spec: Record<string, unknown>): KubeObject =>
    obj('Service', 'v1', { spec: { ports: [{ port: 80 }], ...spec } });

  it('denies an object that leaves the field out, which then holds the banned default', async () => {
    // Each admitted the object without the field before: a CronJob without concurrencyPolicy runs as Allow, an HPA
    // without minReplicas keeps one replica, a Secret without a type is Opaque.
    expect(
      await failuresOn('CronJobs must not use concurrencyPolicy Allow.', [
        { name: 'unset (Allow)', object: cron({}), expect: 'deny' },
        { name: 'Forbid', object: cron({ concurrencyPolicy: 'Forbid' }), expect: 'allow' },
      ]),
    ).toEqual([]);
    expect(
      await failuresOn('HPA minReplicas must not be 1.', [
        { name: 'unset (1)', object: hpa({}), expect: 'deny' },
        { name: '2', object: hpa({ minReplicas: 2 }), expect: 'allow' },
      ]),
    ).toEqual([]);
    expect(
      await failuresOn('Secrets must not be of type Opaque.', [
        { name: 'unset (Opaque)', object: obj('Secret', 'v1', {}), expect: 'deny' },
        { name: 'tls', object: obj('Secret', 'v1', { type: 'kubernetes.io/tls' }), expect: 'allow' },
      ]),
    ).toEqual([]);
  });

  it('holds the default only where the field exists, and refuses a requirement of the default', async () => {
    expect(
      await failuresOn('The Service externalTrafficPolicy must not be Cluster.', [
        { name: 'a LoadBalancer without it (Cluster)', object: svc({ type: 'LoadBalancer' }), expect: 'deny' },
        { name: 'a ClusterIP Service without it', object: svc({}), expect: 'allow' },
        { name: 'Local', object: svc({ type: 'LoadBalancer', externalTrafficPolicy: 'Local' }), expect: 'allow' },
      ]),
    ).toEqual([]);
    // Read before as denying a Service without sessionAffinity, which the API server gives None.
    expect(refusedOffline('Services must set sessionAffinity to None.')).toBe(true);
  });
});
