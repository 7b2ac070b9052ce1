import { afterAll, describe, expect, it } from 'vitest';
import type { KubeObject, TestCase } from '../../common/index.js';
import { createSandbox } from '../../sandbox/index.js';
import { offlineFailures, refusedOffline } from './offline-harness.js';

// Helper kubelinter16: kube-linter's check descriptions say when a finding is raised ("Indicates when a deployment
// uses less than three replicas"). The committed corpus (bench/corpus/kube-linter) is refused whole; probing the same
// descriptions with the other verbs a scanner opens its finding with found one that was read inverted.

const sandbox = createSandbox({ isolation: 'inline' });
afterAll(() => sandbox.close());

const deployment = (name: string, replicas: number): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'default' },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1.0' }] },
    },
  },
});

describe('"Checks whether X" asks a question; it does not say whether X is required or caught', () => {
  // Before: "Checks whether a deployment uses less than three replicas" (kube-linter's minimum-three-replicas
  // description with "Checks whether" for "Indicates when") was read as "Deployment objects need fewer than 3
  // replicas" and verified, the inverse of kube-linter's check: its e2e test reports the Deployment with 2 replicas
  // and passes the one with 3. "Check"/"verify" stand for "require" in "Check that X" only; "whether"/"if" leaves the
  // verdict unsaid, which the reader already refused for "Checks whether containers are privileged."
  for (const text of [
    'Checks whether a deployment uses less than three replicas',
    'Check if a deployment uses less than three replicas.',
    'Verifies whether a deployment uses fewer than three replicas.',
    'Validates whether containers have a liveness probe.',
    'Check whether containers set readOnlyRootFilesystem to true.',
  ])
    it(`refuses "${text}"`, () => {
      expect(refusedOffline(text)).toBe(true);
    });

  // The rule said with "that", or with a rule word of its own, is read as before.
  const cases: TestCase[] = [
    { name: 'three replicas', object: deployment('three', 3), expect: 'allow' },
    { name: 'two replicas', object: deployment('two', 2), expect: 'deny' },
  ];
  for (const text of [
    'Check that deployments have at least three replicas.',
    'Checks whether deployments have at least three replicas, and denies those that do not.',
    'Deployments must have at least three replicas.',
  ])
    it(`still reads "${text}"`, async () => {
      expect(refusedOffline(text)).toBe(false);
      expect(await offlineFailures(sandbox, { text }, cases)).toEqual([]);
    });
});
