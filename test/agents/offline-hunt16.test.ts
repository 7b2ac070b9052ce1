import { afterAll, describe, expect, it } from 'vitest';
import { understandOffline } from '../../agents/index.js';
import type { KubeObject, TestCase } from '../../common/index.js';
import { createSandbox } from '../../sandbox/index.js';
import { offlineFailures, refusedOffline } from './offline-harness.js';
import { pod, sc } from './offline-objects.js';

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
