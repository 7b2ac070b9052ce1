import { afterAll, describe, expect, it } from 'vitest';
import { offlineFamilies, understandOffline, type OfflineUnderstanding } from '../../agents/index.js';
import type { JsPolicy, KubeObject, TestCase } from '../../common/index.js';
import { createSandbox } from '../../sandbox/index.js';
import { offlineFailures, offlinePolicy, refusedOffline } from './offline-harness.js';

// Metamorphic relations: a rule and a rewrite whose meaning differs from it in a known way ("… except in the shop
// namespace" changes nothing outside shop and allows everything inside it). A rewrite may be refused; when it is read,
// both policies run on both plans' cases (moved into and out of the namespace) and the verdicts must relate as the
// words say. Judged by what the sandbox records, not by the text of the readings.

const sandbox = createSandbox({ isolation: 'inline' });
afterAll(() => sandbox.close());

const NS = 'shop';

const policyOf = (u: OfflineUnderstanding, text: string): JsPolicy => offlinePolicy(u, { text });

async function verdicts(text: string, cases: TestCase[]): Promise<string[]> {
  const u = understandOffline({ text });
  const run = await sandbox.runSuite(
    policyOf(u, text),
    cases.map((c, i) => ({ ...c, name: `${i}: ${c.name}`, expect: 'allow' as const })),
  );
  return run.cases.map((c) => c.outcome.actual);
}

/** The case with its object (and old object) in namespace `ns`; undefined for an object that lives in no namespace. */
function movedTo(c: TestCase, ns: string): TestCase | undefined {
  const objects = [c.object, c.oldObject].filter((o): o is KubeObject => o !== undefined);
  if (!objects.length || objects.some((o) => o.metadata?.namespace === undefined)) return undefined;
  const move = (o: KubeObject | undefined): KubeObject | undefined =>
    o && { ...o, metadata: { ...o.metadata, namespace: ns } };
  const object = move(c.object);
  const oldObject = move(c.oldObject);
  return {
    ...c,
    name: `${c.name} (in ${ns})`,
    namespace: ns,
    ...(object ? { object } : {}),
    ...(oldObject ? { oldObject } : {}),
  };
}

type Scope = 'only' | 'except';

/**
 * Where T (the rule) and its scoped rewrite disagree with what the scope says: "only" (in the shop namespace) allows
 * every case outside shop and gives T's verdict inside; "except" allows inside shop and gives T's verdict outside.
 */
async function scopeViolations(rule: string, scoped: string, scope: Scope): Promise<string[]> {
  const planned = [understandOffline({ text: rule }), understandOffline({ text: scoped })].flatMap((u) => u.plan.tests);
  const cases = planned.flatMap((c) => [movedTo(c, NS), movedTo(c, 'other')]).filter((c) => c !== undefined);
  const [before, after] = await Promise.all([verdicts(rule, cases), verdicts(scoped, cases)]);
  return cases.flatMap((c, i) => {
    const inside = c.namespace === NS;
    const want = (scope === 'only') === inside ? before[i] : 'allow';
    return after[i] === want ? [] : [`${c.name}: ${after[i]}, the rule alone ${before[i]}, want ${want}`];
  });
}

const lowerFirst = (t: string): string => (/^[A-Z][a-z]/.test(t) ? t[0].toLowerCase() + t.slice(1) : t);

/**
 * "… except in the shop namespace.", "In the shop namespace, …", "… in the shop namespace.", and on the subject of
 * "S must …" (no relative clause in S): "S in the shop namespace must …".
 */
function scopedRewrites(text: string): Array<[string, Scope]> {
  const bare = text.trim().replace(/[.!]$/, '');
  const rewrites: Array<[string, Scope]> = [
    [`${bare} except in the ${NS} namespace.`, 'except'],
    [`In the ${NS} namespace, ${lowerFirst(bare)}.`, 'only'],
    [`${bare} in the ${NS} namespace.`, 'only'],
  ];
  const ruled = /^(.+?)\s+(must|should|cannot|may not)\b(.*)$/.exec(bare);
  if (ruled && !/\b(?:that|which|who|whose|with|without|where)\b/i.test(ruled[1]))
    rewrites.push([`${ruled[1]} in the ${NS} namespace ${ruled[2]}${ruled[3]}.`, 'only']);
  return rewrites;
}

describe('a namespace scope added to a family example keeps the rule inside it and nothing outside', () => {
  // One sentence, no rationale ("because …": a scope after it would belong to the rationale) and no scope yet.
  const oneRule = (t: string): boolean =>
    !/[.!?;:]\s+\S/.test(t.trim()) && !/\bnamespaces?\b|\bbecause\b|\bsince\b|\bso that\b/i.test(t);
  const triples = offlineFamilies()
    .flatMap((f) => f.examples)
    .filter((text) => oneRule(text) && !refusedOffline(text))
    .flatMap((text) => scopedRewrites(text).map(([rewrite, scope]) => [text, rewrite, scope] as const))
    .filter(([, rewrite]) => !refusedOffline(rewrite));

  it('has rewrites to compare', () => {
    expect(triples.length).toBeGreaterThan(100);
  });

  it.each(triples)('"%s" and "%s" (%s)', async (rule, scoped, scope) => {
    expect(await scopeViolations(rule, scoped, scope)).toEqual([]);
  });
});

const pod = (ns: string, labels?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'app', namespace: ns, ...(labels ? { labels } : {}) },
  spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1.0' }] },
});

describe('misreadings the metamorphic probes found', () => {
  it('a label value list beside a namespace exception keeps its values (was "any non-empty value")', async () => {
    // The list had to end the sentence; with the exception after it, the values were dropped and any env passed.
    for (const text of [
      'The label env of Pods must be dev, staging or prod except in the shop namespace.',
      'Pods must have the label env with one of the values dev, staging or prod except in the shop namespace.',
      // A scope on the subject: the list was looked for in the words as written, the scope still in them.
      'The label env of Pods outside the shop namespace must be dev, staging or prod.',
    ]) {
      expect(
        await offlineFailures(sandbox, { text }, [
          { name: 'env=x outside shop', object: pod('other', { env: 'x' }), expect: 'deny' },
          { name: 'env=prod outside shop', object: pod('other', { env: 'prod' }), expect: 'allow' },
          { name: 'env=staging outside shop', object: pod('other', { env: 'staging' }), expect: 'allow' },
          { name: 'no label outside shop', object: pod('other'), expect: 'deny' },
          { name: 'env=x in shop', object: pod(NS, { env: 'x' }), expect: 'allow' },
        ]),
        text,
      ).toEqual([]);
    }
  });

  it('"must be denied" after a known field is the verdict, not the value the field must hold', async () => {
    // "Ingresses without an ingressClassName must be denied" required spec.ingressClassName to be "denied".
    const ingress = (className?: string): KubeObject => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'web', namespace: 'apps' },
      spec: {
        ...(className ? { ingressClassName: className } : {}),
        rules: [{ host: 'web.example.com', http: { paths: [] } }],
      },
    });
    for (const text of [
      'Ingresses without an ingressClassName must be denied.',
      'Ingresses without an ingressClassName should be rejected.',
    ]) {
      if (refusedOffline(text)) continue;
      expect(
        await offlineFailures(sandbox, { text }, [
          { name: 'class nginx', object: ingress('nginx'), expect: 'allow' },
          { name: 'no class', object: ingress(), expect: 'deny' },
        ]),
        text,
      ).toEqual([]);
    }
  });

  it('"In the N namespace, this policy sets …" is a mutation, never a requirement that denies', async () => {
    // The scope said first hid the head "this policy sets", and every Pod in shop without Always was denied.
    const text = 'In the shop namespace, this policy sets imagePullPolicy to Always on every container.';
    if (refusedOffline(text)) return;
    const u = understandOffline({ text });
    const [verdict] = await verdicts(text, [{ name: 'a Pod in shop', object: pod(NS), expect: 'allow' }]);
    expect(verdict, u.family).not.toBe('deny');
  });
});
