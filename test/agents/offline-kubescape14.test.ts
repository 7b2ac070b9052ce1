import { afterAll, describe, expect, it } from 'vitest';
import type { KubeObject, TestCase } from '../../common/index.js';
import { createSandbox } from '../../sandbox/index.js';
import { offlineFailures, podWithSpec, refusedOffline } from './offline-harness.js';

// Readings the Kubescape regolibrary corpus (bench/corpus/kubescape) found wrong. Kubescape's rule descriptions
// state the finding ("memory limits are not set."); each class the offline planner read as something other than
// what the sentence means is now refused or read right. Cases are written from the sentence's meaning.

const sandbox = createSandbox({ isolation: 'inline' });
afterAll(() => sandbox.close());

const failuresOn = (text: string, cases: TestCase[]): Promise<string[]> => offlineFailures(sandbox, { text }, cases);

const podWith = (container: Record<string, unknown>): KubeObject =>
  podWithSpec({ containers: [{ name: 'c', image: 'registry.example.com/app:1.0', ...container }] });

describe('a bare statement that a field is not set is a finding, not a rule', () => {
  it('refuses "memory limits are not set." and its kin (read before as "no container may set memory limits")', () => {
    // rules/resources-memory-limits: kubescape fails the containers WITHOUT a memory limit; the reading denied
    // the ones with a limit and allowed the ones without, the inverse.
    for (const text of [
      'memory limits are not set.',
      'memory requests are not set.',
      'CPU limits are not set.',
      'Memory limits are not configured.',
      'hostPort is not set.',
      'The hostNetwork field is not set.',
    ])
      expect(refusedOffline(text), text).toBe(true);
  });

  it('still reads the rule said with a modal, a verdict or an action', async () => {
    const limited = podWith({ resources: { limits: { memory: '256Mi' } } });
    const bare = podWith({});
    const required = [
      { name: 'a memory limit', object: limited, expect: 'allow' as const },
      { name: 'no memory limit', object: bare, expect: 'deny' as const },
    ];
    const banned = [
      { name: 'a memory limit', object: limited, expect: 'deny' as const },
      { name: 'no memory limit', object: bare, expect: 'allow' as const },
    ];
    expect(await failuresOn('Fails if memory limits are not set.', required)).toEqual([]);
    expect(await failuresOn('Containers whose memory limits are not set are rejected.', required)).toEqual([]);
    expect(await failuresOn('Memory limits must be set.', required)).toEqual([]);
    expect(await failuresOn('Memory limits are not allowed.', banned)).toEqual([]);
    expect(await failuresOn('Memory limits should not be set.', banned)).toEqual([]);
    // A frame the operative part drops ("This policy ensures …", "… validates that …") still makes it a rule.
    expect(await failuresOn('This policy ensures memory limits are not set.', banned)).toEqual([]);
    expect(refusedOffline('This policy validates that the `externalIPs` field is not set on a Service.')).toBe(false);
  });
});

describe('a bare statement of how things are is refused: the desired state or the finding, it does not say which', () => {
  it('"Container image is from k8s.gcr.io." (Kubescape\'s finding) is no longer read as "images must come from k8s.gcr.io"', () => {
    // The issue's own class: a registry the finding warns about read as the only one allowed.
    for (const text of [
      'Container image is from k8s.gcr.io.',
      'Images come from registry.example.com.',
      'Images are pulled from registry.example.com.',
      'Containers have resource limits.',
      'Pods have the label team.',
      'The label team is present on all Deployments.',
      'Containers drop ALL capabilities.',
    ])
      expect(refusedOffline(text), text).toBe(true);
  });

  it('the same states said as a rule, an instruction or a restriction are still read', () => {
    for (const text of [
      'Images must come from registry.example.com.',
      'This policy ensures that the label team is present on all Deployments.',
      'The label team must be present on all Deployments.',
      'Drop ALL capabilities.',
      'In the prod namespace, set imagePullPolicy to Always.',
      'Use of privileged containers is prohibited.',
      'Services are restricted to type ClusterIP.',
      'The spec.selector of Deployments is immutable.',
      'Containers are not privileged.',
    ])
      expect(refusedOffline(text), text).toBe(false);
  });
});
