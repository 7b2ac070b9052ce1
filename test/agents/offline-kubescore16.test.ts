import { afterAll, describe, expect, it } from 'vitest';
import type { KubeObject, TestCase } from '../../common/index.js';
import { createSandbox } from '../../sandbox/index.js';
import { offlineFailures, podWithSpec, refusedOffline } from './offline-harness.js';

// A reading the kube-score corpus (bench/corpus/kube-score) exposed. kube-score's Container Resources check says
// "Makes sure that all pods have resource limits and requests set." The corpus suite itself is refused (the reader
// does not place "Makes sure that"), but said as a rule ("Ensure that all pods have resource limits and requests
// set.", "Containers must set resource limits and requests.") it was read as "every container must set limits.cpu
// and limits.memory": "requests" was dropped, and a container with limits and no requests was let through, which
// kube-score's own fixtures give a finding (score/testdata/pod-test-resources-only-limits.yaml, GradeWarning, at
// zegl/kube-score@06dedc9c). "resource requests and limits" was already read as both; the order of the two words
// does not change what is asked. Cases are written from the sentence's meaning.

const sandbox = createSandbox({ isolation: 'inline' });
afterAll(() => sandbox.close());

const podWith = (resources: Record<string, unknown> | undefined): KubeObject =>
  podWithSpec({
    containers: [{ name: 'c', image: 'registry.example.com/app:1.0', ...(resources ? { resources } : {}) }],
  });
const both = { cpu: '100m', memory: '128Mi' };

const limitsAndRequests = (): TestCase[] => [
  {
    name: 'limits and requests for CPU and memory',
    object: podWith({ limits: both, requests: both }),
    expect: 'allow',
  },
  { name: 'limits only', object: podWith({ limits: both }), expect: 'deny' },
  { name: 'requests only', object: podWith({ requests: both }), expect: 'deny' },
  { name: 'no resources', object: podWith(undefined), expect: 'deny' },
  {
    name: 'no memory request',
    object: podWith({ limits: both, requests: { cpu: '100m' } }),
    expect: 'deny',
  },
];

describe('"resource limits and requests": both sections, whatever their order', () => {
  it('reads "limits and requests" as "requests and limits" was read: every container sets both, for CPU and memory', async () => {
    for (const text of [
      'Containers must set resource limits and requests.',
      'Ensure that all pods have resource limits and requests set.',
      'Resource limits and requests are required.',
      'Containers must set resource requests and limits.',
    ])
      expect(await offlineFailures(sandbox, { text }, limitsAndRequests()), text).toEqual([]);
  });

  it('refuses a list whose other section it cannot place, rather than drop it', () => {
    for (const text of [
      'Containers must set resource limits & requests.',
      'Containers must set resource limits, plus requests.',
    ])
      expect(refusedOffline(text), text).toBe(true);
  });

  it('still reads one section alone', async () => {
    expect(
      await offlineFailures(sandbox, { text: 'Containers must set resource limits.' }, [
        { name: 'limits only', object: podWith({ limits: both }), expect: 'allow' },
        { name: 'requests only', object: podWith({ requests: both }), expect: 'deny' },
      ]),
    ).toEqual([]);
  });
});
