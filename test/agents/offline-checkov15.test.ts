import { afterAll, describe, expect, it } from 'vitest';
import type { KubeObject, TestCase } from '../../common/index.js';
import { createSandbox } from '../../sandbox/index.js';
import { offlineFailures, podWithSpec, refusedOffline } from './offline-harness.js';

// Readings the Checkov corpus (bench/corpus/checkov) found wrong. Checkov's check titles are short rules
// ("Image Pull Policy should be Always"); each class the offline planner read as something other than what the
// sentence means is now refused or read right. Cases are written from the sentence's meaning.

const sandbox = createSandbox({ isolation: 'inline' });
afterAll(() => sandbox.close());

const failuresOn = (text: string, cases: TestCase[]): Promise<string[]> => offlineFailures(sandbox, { text }, cases);

const podWith = (container: Record<string, unknown>): KubeObject =>
  podWithSpec({ containers: [{ name: 'c', image: 'registry.example.com/app:1.0', ...container }] });

describe('a required image pull policy that does not say how a container naming none counts', () => {
  it('refuses "Image Pull Policy should be Always" and its kin (read before as "every container must set Always")', () => {
    // The API server gives a container without imagePullPolicy Always when its image is ':latest' or untagged
    // (IfNotPresent otherwise). The sentence does not say whether such a container passes, and the scanners read it
    // both ways: Checkov's CKV_K8S_15 "Image Pull Policy should be Always" passes an untagged image with no policy
    // (checkov/kubernetes/checks/resource/k8s/ImagePullPolicyAlways.py at 03d5fdad, lines 36-43: tag latest or
    // empty → PASSED; tests/kubernetes/checks/example_ImagePullPolicy/storm-nimbus-ImageUntagged-PASSED.json),
    // Polaris's pullPolicyNotAlways "Image pull policy should be "Always"" fails `image: busybox` with none
    // (bench/corpus/polaris/pullPolicyNotAlways--message.yaml, failure.cron-job).
    for (const text of [
      'Image Pull Policy should be Always',
      'Image pull policy should be "Always"',
      'Fails when an image pull policy is not `always`.',
      'Image pull policies other than Always are not allowed.',
      'The imagePullPolicy of every container must be Always.',
      'Image pull policy should be IfNotPresent.',
    ])
      expect(refusedOffline(text), text).toBe(true);
  });

  it('still reads the field asked for explicitly, and Never (no image gets it by default)', async () => {
    const unsetLatest = podWith({ image: 'nginx:latest' });
    const required = (value: string, other: string): TestCase[] => [
      { name: value, object: podWith({ imagePullPolicy: value }), expect: 'allow' },
      { name: other, object: podWith({ imagePullPolicy: other }), expect: 'deny' },
      { name: 'none named, tagged image', object: podWith({}), expect: 'deny' },
    ];
    expect(
      await failuresOn('Containers must set imagePullPolicy to `Always`.', required('Always', 'IfNotPresent')),
    ).toEqual([]);
    expect(
      await failuresOn('Image pull policy must be set to "Always".', [
        ...required('Always', 'Never'),
        // The field is asked for: a container that leaves it to the API server has not set it.
        { name: 'none named, :latest image', object: unsetLatest, expect: 'deny' },
      ]),
    ).toEqual([]);
    expect(
      await failuresOn('imagePullPolicy must be Never.', [
        ...required('Never', 'Always'),
        { name: 'none named, :latest image (Always)', object: unsetLatest, expect: 'deny' },
      ]),
    ).toEqual([]);
  });

  it('leaves the ban as it was: the policy a container ends up with is the offence', async () => {
    expect(
      await failuresOn('Image pull policy should not be `Always`.', [
        { name: 'Always', object: podWith({ imagePullPolicy: 'Always' }), expect: 'deny' },
        { name: 'IfNotPresent', object: podWith({ imagePullPolicy: 'IfNotPresent' }), expect: 'allow' },
        { name: 'none named, :latest image (Always)', object: podWith({ image: 'nginx:latest' }), expect: 'deny' },
      ]),
    ).toEqual([]);
  });
});
