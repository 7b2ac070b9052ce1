import { afterAll, describe, expect, it } from 'vitest';
import { understandOffline } from '../../agents/index.js';
import type { KubeObject, TestCase } from '../../common/index.js';
import { createSandbox } from '../../sandbox/index.js';
import { offlineFailures, refusedOffline } from './offline-harness.js';
import { container, pod, sc } from './offline-objects.js';

// Metamorphic relations over texts the reader reads (hunt 16): the operative statement said inside another frame
// ("Policy: …", "It is required that …", "In the past, …") and two texts joined into one. A frame that keeps the
// meaning must keep the policy (or be refused); one that changes the verdict must be refused. The cases below are
// written from the meaning of each text, never from the plan.

const sandbox = createSandbox({ isolation: 'inline' });
afterAll(() => sandbox.close());

/** Refused, or read as a policy that passes the cases written from the text's meaning (and its own plan). */
async function refusedOrRight(text: string, cases: TestCase[]): Promise<string[]> {
  if (refusedOffline(text)) return [];
  return offlineFailures(sandbox, { text }, cases);
}

const create = (name: string, object: KubeObject, expect: TestCase['expect']): TestCase => ({ name, object, expect });
const privilegedPod = (namespace: string): KubeObject => pod([sc({ privileged: true })], {}, namespace);

describe('a leading phrase before "in namespace X" is not a namespace', () => {
  it('"In the past, in namespace prod, …" does not scope the rule to a namespace called past', async () => {
    // Before: "the past, in namespace" was taken for a list of namespaces ("past", then "in"), so "past" was placed
    // as a namespace and the rule read for namespaces past and prod; the text says what used to hold.
    expect(refusedOffline('In the past, in namespace prod, Deployments must not run privileged containers.')).toBe(
      true,
    );
    expect(refusedOffline('In 2020, in namespace prod, Deployments must not run privileged containers.')).toBe(true);
  });

  it('"For Deployments, in namespace prod, …" is not read for a namespace called deployments', async () => {
    // Before: read by privileged for namespaces deployments and prod: a privileged Pod in a namespace called
    // deployments was denied, which the text never asks.
    const text = 'For Deployments, in namespace prod, containers must not be privileged.';
    expect(
      await refusedOrRight(text, [
        create(
          'a privileged Pod in namespace deployments is allowed (not prod)',
          privilegedPod('deployments'),
          'allow',
        ),
      ]),
    ).toEqual([]);
  });

  it('a namespace list and a leading scope are still read', () => {
    for (const [text, namespaces] of [
      ['In the dev, staging or prod namespaces, pods must not use hostNetwork.', ['dev', 'staging', 'prod']],
      ['In namespace prod, Deployments must not run privileged containers.', ['prod']],
    ] as const) {
      const u = understandOffline({ text });
      expect(u.plan.target.namespaces, text).toEqual(namespaces);
    }
  });
});

describe('a "Policy:" label before the rule is not the Policy kind', () => {
  const labelledPod = (labels?: Record<string, string>): KubeObject => {
    const p = pod();
    if (labels) (p.metadata ??= {}).labels = labels;
    return p;
  };

  it('"Policy: Pods must have the label team." asks nothing of other kinds (was: Policy objects too)', async () => {
    // Before: the sentence was taken for a parameter ("Name: value") and "Policy" placed as the kyverno.io Policy
    // kind, so Policy objects without the label were denied and the rule read for "Policy, Pod objects".
    const text = 'Policy: Pods must have the label team.';
    expect(
      await refusedOrRight(text, [
        create('a Pod with the label team is allowed', labelledPod({ team: 'a' }), 'allow'),
        create('a Pod without the label team is denied', labelledPod(), 'deny'),
      ]),
    ).toEqual([]);
    if (!refusedOffline(text)) expect(understandOffline({ text }).spec.resources).not.toContain('policies');
  });

  it('"Policy: Roles must not grant access to Secrets." is not also a rule on access to Policies', () => {
    // Before: Roles granting access to kyverno.io policies were denied too.
    const text = 'Policy: Roles must not grant access to Secrets.';
    if (!refusedOffline(text))
      expect(understandOffline({ text }).spec.javascript).not.toMatch(/"policies"|kyverno\.io/);
  });

  it('"Policy: Set imagePullPolicy to Always on every container." still mutates (was: a validating rule)', () => {
    const text = 'Policy: Set imagePullPolicy to Always on every container.';
    if (!refusedOffline(text)) expect(understandOffline({ text }).family).toBe('image-pull-policy');
  });

  it('"Policy: Pods must not be created in the default namespace." keeps the namespace rule', async () => {
    // Before: read by operation-forbidden for "Policy, Pod objects may not be created".
    const text = 'Policy: Pods must not be created in the default namespace.';
    if (!refusedOffline(text)) expect(understandOffline({ text }).family).toBe('kind-in-namespace');
  });
});

describe('"It is required that …" does not ask for the field the rule bounds', () => {
  const withMemoryLimit = (limit?: string): KubeObject =>
    pod([container(limit ? { resources: { limits: { memory: limit } } } : {})]);

  it('"It is required that containers with memory limits above 2Gi are not allowed." leaves an unset limit alone', async () => {
    // Before: "is required" was read as asking for the field ("must be set"), so a container without a memory limit
    // was denied; the text (like "Containers with memory limits above 2Gi are not allowed.") forbids only those above.
    for (const text of [
      'It is required that containers with memory limits above 2Gi are not allowed.',
      'Containers with memory limits above 2Gi are not allowed.',
    ])
      expect(
        await refusedOrRight(text, [
          create('a container without a memory limit is allowed', withMemoryLimit(), 'allow'),
          create('a container with a 4Gi memory limit is denied', withMemoryLimit('4Gi'), 'deny'),
          create('a container with a 1Gi memory limit is allowed', withMemoryLimit('1Gi'), 'allow'),
        ]),
        text,
      ).toEqual([]);
  });

  it('a memory limit said to be required still asks for it', async () => {
    const text = 'A memory limit is required, and containers with memory limits above 2Gi are not allowed.';
    expect(
      await refusedOrRight(text, [
        create('a container without a memory limit is denied', withMemoryLimit(), 'deny'),
        create('a container with a 4Gi memory limit is denied', withMemoryLimit('4Gi'), 'deny'),
      ]),
    ).toEqual([]);
  });
});
