import { afterAll, describe, expect, it } from 'vitest';
import { understandOffline } from '../../agents/index.js';
import type { Intent, KubeObject, TestCase } from '../../common/index.js';
import { createSandbox } from '../../sandbox/index.js';
import { offlineFailures } from './offline-harness.js';

// A rule about a pod's spec also holds for every kind carrying a pod template, as Kyverno's rule
// auto-generation does: otherwise `kubectl apply` of a Deployment succeeds and its pods never appear.

const sandbox = createSandbox();
afterAll(() => sandbox.close());

const CONTROLLER_RESOURCES = [
  'deployments',
  'statefulsets',
  'daemonsets',
  'replicasets',
  'jobs',
  'cronjobs',
  'replicationcontrollers',
];

const failuresOn = (intent: Intent, cases: TestCase[]): Promise<string[]> => offlineFailures(sandbox, intent, cases);

const privileged = [{ name: 'c', image: 'registry.example.com/app:1', securityContext: { privileged: true } }];
const plain = [{ name: 'c', image: 'registry.example.com/app:1' }];

function workload(kind: string, containers: unknown[]): KubeObject {
  const template = { metadata: { labels: { app: 'a' } }, spec: { containers, restartPolicy: 'Never' } };
  const meta = { name: 'w', namespace: 'shop' };
  switch (kind) {
    case 'CronJob':
      return {
        apiVersion: 'batch/v1',
        kind,
        metadata: meta,
        spec: { schedule: '* * * * *', jobTemplate: { spec: { template } } },
      };
    case 'Job':
      return { apiVersion: 'batch/v1', kind, metadata: meta, spec: { template } };
    case 'ReplicationController':
      return { apiVersion: 'v1', kind, metadata: meta, spec: { selector: { app: 'a' }, template } };
    default:
      return {
        apiVersion: 'apps/v1',
        kind,
        metadata: meta,
        spec: { selector: { matchLabels: { app: 'a' } }, template },
      };
  }
}

describe('pod-spec intents cover pod controllers by default', () => {
  it('targets Pods and every pod controller, and says so in the rationale', () => {
    const u = understandOffline({ text: 'Containers must not be privileged.' });
    expect(u.plan.target.resources).toEqual(['pods', ...CONTROLLER_RESOURCES]);
    expect(u.plan.target.apiGroups).toEqual(['', 'apps', 'batch']);
    expect(u.spec.resources).toEqual(u.plan.target.resources);
    expect(u.plan.rationale).toMatch(
      /applies to Pods and to the pod template of every pod controller \(deployments, .*cronjobs/,
    );
  });

  it('plans a deny and an allow case on a Deployment and on a CronJob', () => {
    const { tests } = understandOffline({ text: 'Pods must not mount hostPath volumes.' }).plan;
    for (const kind of ['Deployment', 'CronJob']) {
      expect(
        tests
          .filter((c) => c.object?.kind === kind)
          .map((c) => c.expect)
          .sort(),
        kind,
      ).toEqual(['allow', 'deny']);
    }
  });

  it('reads the pod spec wherever it lives: a privileged template is denied in every controller, a plain one allowed', async () => {
    const kinds = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'ReplicationController'];
    const cases: TestCase[] = kinds.flatMap((kind) => [
      { name: `privileged ${kind} is denied`, object: workload(kind, privileged), expect: 'deny' as const },
      { name: `plain ${kind} is allowed`, object: workload(kind, plain), expect: 'allow' as const },
    ]);
    expect(await failuresOn({ text: 'Block privileged containers.' }, cases)).toEqual([]);
  });

  it('checks a CronJob whose image comes from elsewhere, under jobTemplate', async () => {
    const cronjob = (image: string): KubeObject => workload('CronJob', [{ name: 'c', image }]);
    expect(
      await failuresOn({ text: 'Images must come from registry.example.com.' }, [
        { name: 'foreign image in a CronJob is denied', object: cronjob('docker.io/library/nginx:1'), expect: 'deny' },
        { name: 'own image in a CronJob is allowed', object: cronjob('registry.example.com/app:1'), expect: 'allow' },
      ]),
    ).toEqual([]);
  });

  it('"no Pods in namespace default" also keeps pod controllers out of it', async () => {
    const u = understandOffline({ text: 'Pods must not be created in the default namespace.' });
    expect(u.plan.target.resources).toEqual(['pods', ...CONTROLLER_RESOURCES]);
    const inDefault = { ...workload('Deployment', plain), metadata: { name: 'w', namespace: 'default' } };
    expect(
      await failuresOn({ text: 'Pods must not be created in the default namespace.' }, [
        { name: 'a Deployment in default is denied', object: inDefault, expect: 'deny' },
        { name: 'a Deployment in shop is allowed', object: workload('Deployment', plain), expect: 'allow' },
      ]),
    ).toEqual([]);
  });

  it('a mutation of every container patches the pod template of a Deployment and a CronJob', async () => {
    const u = understandOffline({
      text: 'In the prod namespace, set imagePullPolicy to Always on every container of a pod.',
    });
    expect(u.plan.tests.filter((c) => c.expect === 'mutate').map((c) => c.object?.kind)).toEqual(
      expect.arrayContaining(['Deployment', 'CronJob']),
    );
    expect(
      await failuresOn(
        { text: 'In the prod namespace, set imagePullPolicy to Always on every container of a pod.' },
        [],
      ),
    ).toEqual([]);
  });

  it('targets only the kinds an intent names', () => {
    expect(
      understandOffline({ text: 'Deployments must not run privileged containers.' }).plan.target.resources,
    ).toEqual(['deployments']);
  });

  it("covers a Pod label rule on the pod template, never on the controller's own labels", () => {
    const u = understandOffline({ text: "Deny pods with the label 'env=prod' in the 'test' namespace." });
    expect(u.plan.target.resources).toEqual(expect.arrayContaining(['pods', 'deployments', 'cronjobs']));
    const names = u.plan.tests.map((c) => `${c.expect} ${c.name}`);
    expect(names).toContain('deny a Deployment whose pod template has label env=prod is denied');
    expect(names).toContain('allow a Deployment with label env=prod on itself, not on its pod template, is allowed');
  });

  it('leaves rules about other kinds alone', () => {
    expect(understandOffline({ text: 'ConfigMaps must have the label team.' }).plan.target.resources).toEqual([
      'configmaps',
    ]);
  });

  it('turns off with podControllers: false', () => {
    const u = understandOffline({ text: 'Containers must not be privileged.', options: { podControllers: false } });
    expect(u.plan.target.resources).toEqual(['pods']);
    expect(u.plan.rationale).not.toMatch(/pod controller/);
    expect(u.plan.tests.some((c) => c.object?.kind === 'Deployment')).toBe(false);
  });
});
