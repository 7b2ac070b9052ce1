import { afterAll, describe, expect, it } from 'vitest';
import { offlineFamilies, understandOffline } from '../../agents/index.js';
import type { KubeObject, TestCase } from '../../common/index.js';
import { createSandbox } from '../../sandbox/index.js';
import { offlineFailures, refusedOffline } from './offline-harness.js';
import { container, NS, pod } from './offline-objects.js';

// Metamorphic relations whose verdicts do not come from our own reading (hunt 15). A text the reader reads, changed in
// a way whose effect on the meaning is known: a qualifier added ("on update", "where spec.x is true"), the rule said
// the other way round beside it. The variant must be refused, or read so that its verdicts differ from the text's
// exactly where the change says; the cases below are written from the meaning, never from the plan. Each class here
// was read with the qualifier or the opposite sentence dropped before its fix (agents/offline, commit 375dd8a).

const sandbox = createSandbox({ isolation: 'inline' });
afterAll(() => sandbox.close());

/** Refused, or read as a policy that passes the cases written from the text's meaning (and its own plan). */
async function refusedOrRight(text: string, cases: TestCase[]): Promise<string[]> {
  if (refusedOffline(text)) return [];
  return offlineFailures(sandbox, { text }, cases);
}

const update = (name: string, object: KubeObject, expect: TestCase['expect'], oldObject = object): TestCase => ({
  name,
  operation: 'UPDATE',
  object,
  oldObject,
  expect,
});
const create = (name: string, object: KubeObject, expect: TestCase['expect']): TestCase => ({ name, object, expect });

const stem = (t: string): string => t.trim().replace(/[.!]+$/, '');
const lower = (t: string): string => (/^[A-Z][a-z]/.test(t) ? t[0].toLowerCase() + t.slice(1) : t);

describe('an operation said with the rule is never dropped', () => {
  it('"On update, deny …" ahead of the rule is an instruction, not its background (was read as "always deny")', async () => {
    // Before: the leading sentence was set aside as background (its "deny" came after the scope) and a privileged Pod
    // was denied on CREATE, which the first sentence leaves alone when it is read as the rule's condition.
    const text = 'On update, deny privileged containers. Privileged containers are not allowed.';
    expect(refusedOffline(text)).toBe(true);
  });

  it('an operation in the sentence beside "This policy …" is read, not set aside as motivation', async () => {
    // Before: "… on update" made the sentence unreadable alone, so it was dropped as motivation, and NodePort
    // Services passed every UPDATE; the text denies them on update.
    const svc = (type: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's', namespace: NS },
      spec: { type, ports: [{ port: 80 }] },
    });
    const text =
      'Services must not be of type NodePort on update. This policy ensures Services of type LoadBalancer are denied.';
    expect(
      await refusedOrRight(text, [
        update('a NodePort Service updated is denied', svc('NodePort'), 'deny'),
        create('a LoadBalancer Service is denied', svc('LoadBalancer'), 'deny'),
        create('a ClusterIP Service is allowed', svc('ClusterIP'), 'allow'),
      ]),
    ).toEqual([]);
    expect(
      refusedOffline('Images must not use the latest tag on update. This policy ensures images are pinned by digest.'),
    ).toBe(true);
  });

  it('family examples with "On update," said first and restated plainly after are refused or not the plain rule', () => {
    // The relation over the catalogue: "On update, <rule>. <rule>." qualifies the rule; read as the plain rule (the
    // same policy), the qualifier was dropped. Families about operations may read it as their own rule.
    const dropped: string[] = [];
    let variants = 0;
    for (const f of offlineFamilies())
      for (const e of f.examples) {
        if (refusedOffline(e) || !/\b(?:deny|must|not allowed|forbidden|required)\b/i.test(e)) continue;
        // A rule that acts only on UPDATE already says "on update" ("Deny changes to spec.selector …").
        if (understandOffline({ text: e }).spec.operations.join() === 'UPDATE') continue;
        const v = `On update, ${lower(stem(e))}. ${stem(e)}.`;
        variants++;
        if (refusedOffline(v)) continue;
        const same =
          JSON.stringify(understandOffline({ text: v }).spec) === JSON.stringify(understandOffline({ text: e }).spec);
        if (same) dropped.push(v);
      }
    expect(variants).toBeGreaterThan(90);
    expect(dropped).toEqual([]);
  }, 120_000);
});

describe('a field said to have a value is a condition, not an immutable field', () => {
  const hostNetwork = (on: boolean): KubeObject => pod([container()], { hostNetwork: on });

  it('"Deny Pods where spec.hostNetwork is true on update" denies updating such a Pod (was: only changing it)', async () => {
    // Before: read by immutable-field ("spec.hostNetwork of Pod may not change after creation"): an UPDATE keeping
    // hostNetwork true was allowed.
    for (const text of [
      'Deny Pods where spec.hostNetwork is true on update.',
      'Pods where spec.hostNetwork is true must not be updated.',
    ])
      expect(
        await refusedOrRight(text, [
          update('an UPDATE of a Pod keeping hostNetwork true is denied', hostNetwork(true), 'deny'),
          update('an UPDATE of a Pod without hostNetwork is allowed', hostNetwork(false), 'allow'),
        ]),
        text,
      ).toEqual([]);
  });

  it('the same for a ConfigMap data key', async () => {
    const cm = (debug: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: NS },
      data: { debug },
    });
    expect(
      await refusedOrRight('Deny ConfigMaps where data.debug is true on update.', [
        update('an UPDATE keeping data.debug true is denied', cm('true'), 'deny'),
        update('an UPDATE with data.debug false is allowed', cm('false'), 'allow'),
      ]),
    ).toEqual([]);
  });

  it('an immutable field is still read', () => {
    for (const text of [
      'Deny changes to spec.selector of Deployments.',
      'The spec.storageClassName of PersistentVolumeClaims is immutable.',
    ])
      expect(understandOffline({ text }).family, text).toBe('immutable-field');
  });
});

describe('a sentence beside "This policy …" that says the opposite is refused, not set aside', () => {
  it('the opposite is refused, the rule said twice the same way still read', () => {
    // Before: each flipped sentence could not be read alone, so it was taken for the motivation and the policy
    // sentence read alone; the text read with the same verdicts whichever way the first sentence said it.
    for (const [flipped, same] of [
      [
        'Containers must not drop all capabilities. This policy requires that ALL is listed in capabilities.drop for every container.',
        'Containers must drop all capabilities. This policy requires that ALL is listed in capabilities.drop for every container.',
      ],
      [
        'Adding capabilities beyond the default set must be allowed. This policy ensures containers do not add capabilities.',
        'Adding capabilities beyond the default set must not be allowed. This policy ensures containers do not add capabilities.',
      ],
    ]) {
      expect(refusedOffline(flipped), flipped).toBe(true);
      expect(understandOffline({ text: same }).family, same).toBe('capabilities');
    }
  });

  it('the polarity is the clause that says the rule, not a negating word in its reason', () => {
    // "disables" negates in the reason, not the rule: before, it made "must be allowed" count as a ban.
    expect(
      refusedOffline(
        'Privileged mode disables most security mechanisms and must be allowed. This policy ensures Pods do not call for privileged mode.',
      ),
    ).toBe(true);
  });

  it('a rule said of a kind the policy does not match is refused, not set aside', () => {
    // Before: the Ingress sentence could not be read alone and was dropped; the policy matched Services only.
    expect(
      refusedOffline(
        'Ingresses must not be of type NodePort. This policy ensures Services of type LoadBalancer are denied.',
      ),
    ).toBe(true);
    expect(
      refusedOffline(
        'Services must not be of type NodePort. This policy ensures Services of type LoadBalancer are denied.',
      ),
    ).toBe(false);
  });

  it('a fact about the subject has no polarity and stays background', () => {
    for (const text of [
      'A NodePort Service opens a port on every node of the cluster. This policy blocks Services of type NodePort.',
      'Windows HostProcess containers get privileged access to the node. This policy ensures Pods do not use HostProcess containers.',
      'Privileged mode disables most security mechanisms and must not be allowed. This policy ensures Pods do not call for privileged mode.',
    ])
      expect(refusedOffline(text), text).toBe(false);
  });
});

describe('a label selector said with the rule is never dropped or read as the rule', () => {
  const labelled = (labels?: Record<string, string>): KubeObject => {
    const p = pod([container()]);
    if (labels) (p.metadata ??= {}).labels = labels;
    return p;
  };

  it('a reason opening after the selector does not leave the selector to be read as the rule', async () => {
    // Before: ", to avoid noisy neighbours, CPU limits should be set …" was cut as the reason, and "For pods labelled
    // tier=web" was read as "Pods must carry the label tier=web" (metadata-required): every unlabelled Pod denied.
    const text = 'For pods labelled tier=web, to avoid noisy neighbours, CPU limits should be set on all containers.';
    expect(
      await refusedOrRight(text, [
        create('an unlabelled Pod without limits is allowed (the rule is for tier=web pods)', labelled(), 'allow'),
        create('a tier=web Pod without a CPU limit is denied', labelled({ tier: 'web' }), 'deny'),
      ]),
    ).toEqual([]);
    // The reason first, with nothing ahead of it, is still read.
    expect(
      understandOffline({ text: 'To avoid noisy neighbours, CPU limits should be set on all containers.' }).family,
    ).toBe('resources');
  });

  it('"created or deleted" beside a label keeps the creation (was a deletion protection only)', async () => {
    // Before: read by delete-protection ("Pod objects with label tier=web may not be deleted"): creating one passed.
    const text = 'Pods labelled tier=web must not be created or deleted.';
    expect(
      await refusedOrRight(text, [
        create('creating a tier=web Pod is denied', labelled({ tier: 'web' }), 'deny'),
        create('creating another Pod is allowed', labelled({ tier: 'db' }), 'allow'),
        {
          name: 'deleting a tier=web Pod is denied',
          operation: 'DELETE',
          oldObject: labelled({ tier: 'web' }),
          expect: 'deny',
        },
      ]),
    ).toEqual([]);
    expect(understandOffline({ text: 'Nobody may delete a namespace labelled protected=true.' }).family).toBe(
      'delete-protection',
    );
  });
});
