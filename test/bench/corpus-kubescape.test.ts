import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  convertRegolibrary,
  renderRegolibrarySuite,
  ruleSkipReason,
  type RegolibrarySuite,
} from '../../bench/corpus/convert-regolibrary.js';
import { parseSuite } from '../../sandbox/index.js';
import { offlineSuiteRunner, runCommittedCorpus } from './corpus-harness.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'kubescape');

describe('bench/corpus/convert-regolibrary: Kubescape rules → shared-format suites', () => {
  const conversion = convertRegolibrary(FIXTURE);
  const byId = (id: string): RegolibrarySuite => {
    const s = conversion.suites.find((x) => x.id === id);
    if (!s) throw new Error(`no suite ${id}; got ${conversion.suites.map((x) => x.id).join(', ')}`);
    return s;
  };
  const verdicts = (id: string): Record<string, string> =>
    Object.fromEntries(byId(id).cases.map((c) => [c.name, c.expect]));

  it("takes the rule's description and, where it differs, that of the control mapping to the rule alone", () => {
    expect(conversion.suites.map((s) => s.id)).toEqual([
      'no-host-network--control',
      'writable-root--rule',
      'writable-root--control',
    ]);
    expect(byId('writable-root--rule').intent).toBe('fails if container has mutable filesystem');
    expect(byId('writable-root--control')).toMatchObject({ variant: 'control', control: 'C-0001' });
    expect(byId('writable-root--control').intent).toMatch(/^Mutable container filesystem can be abused/);
    // no-host-network has no description of its own: only its control's text.
    expect(byId('no-host-network--control').intent).toBe('Pods must not use the host network.');
  });

  it("denies the input objects expected.json's alerts name, allows every other input object", () => {
    expect(verdicts('writable-root--rule')).toEqual({
      'cronjob/cronjob': 'deny',
      'pod/pods#1': 'deny',
      'pod/pods#2': 'allow',
    });
    // A kind: List input (here in JSON) is its items, each a case.
    expect(verdicts('no-host-network--control')).toEqual({ 'pod/pod#1': 'deny', 'pod/pod#2': 'allow' });
    // The namespace: the object's, else default.
    const cases = byId('writable-root--rule').cases;
    expect(cases.find((c) => c.name === 'pod/pods#1')?.namespace).toBe('default');
    expect(cases.find((c) => c.name === 'pod/pods#2')?.namespace).toBeUndefined();
  });

  it('moves a batch/v1beta1 CronJob to the served apiVersion, and leaves out tests it cannot read, saying why', () => {
    const s = byId('writable-root--rule');
    expect(s.adjusted).toEqual([{ case: 'cronjob/cronjob', change: 'apiVersion batch/v1beta1 → batch/v1' }]);
    expect(s.dropped).toEqual([
      { case: 'broken', reason: 'the test has no input/ or no expected.json' },
      { case: 'stray', reason: 'expected.json names Pod/elsewhere, which is not among the inputs' },
    ]);
  });

  it('skips, with why, what one admitted object cannot decide and texts that are not the rule', () => {
    const reasons = Object.fromEntries(conversion.skipped.map((s) => [s.id, s.reason]));
    expect(reasons).toMatchObject({
      'apiserver-flag--rule':
        'cluster component configuration (the API server, controller manager, scheduler or etcd flags and files)',
      'no-host-network--rule': 'rule.metadata.json has no description of the rule',
      'only-failures--control': "its controls (C-0002) cover several rules: their description is not this rule's alone",
      'only-failures--rule': "needs both a deny and an allow case (upstream's tests give 2 deny, 0 allow)",
      'role-join--rule': 'RBAC: the verdict joins Role, RoleBinding',
      'sensor--rule':
        'reads host-sensor or cloud-provider data (dynamicMatch), not an object an admission request carries',
      'service-join--rule': 'joins several objects: the verdict reads CronJob, Deployment, Pod, Service together',
      'tunable--rule':
        'the verdict depends on configurable values (postureControlInputs) the description does not give',
      'two-inputs--rule': 'joins several objects: one Rego rule body reads two input objects',
    });
  });

  it('reads a PodSecurityPolicy rule beside the workload ones as single-object, and Node rules as posture', () => {
    const match = (...kinds: string[]): { match: Array<{ resources: string[] }> } => ({
      match: [{ resources: kinds }],
    });
    expect(ruleSkipReason('x', match('Pod', 'PodSecurityPolicy'), 'pod := input[_]')).toBeUndefined();
    expect(ruleSkipReason('x', match('Node'), '')).toBe(
      'node / control-plane posture (Node), not an admission request',
    );
  });

  it('writes files the suite parser accepts, naming the source and its licence', () => {
    const s = byId('writable-root--control');
    const text = renderRegolibrarySuite(s, 'ce7ef32aef7a7d272016c3f0d1105c60d6b266fb');
    expect(text.split('\n').slice(0, 2)).toEqual([
      '# From kubescape/regolibrary@ce7ef32aef7a (Apache-2.0, © The Kubescape Authors): rules/writable-root.',
      "# Variant: control (control C-0001's description).",
    ]);
    const parsed = parseSuite(text, 'fixture.yaml');
    expect(parsed.intent).toBe(s.intent);
    expect(parsed.cases).toEqual(s.cases);
  });
});

describe('bench/corpus: Kubescape suites through offline generate', () => {
  const run = offlineSuiteRunner('kubescape');

  it("host network: the control's rule sentence agrees with every upstream-style verdict", async () => {
    const s = convertRegolibrary(FIXTURE).suites.find((x) => x.id === 'no-host-network--control')!;
    const suite = parseSuite(renderRegolibrarySuite(s, 'fixture'), 'no-host-network--control.yaml');
    expect(await run(suite)).toMatchObject({ outcome: 'agrees', total: 2, passed: 2 });
  });
});

describe('bench/corpus/kubescape: the committed corpus (upstream tests and verdicts)', () => {
  it('has no policy reported safe that disagrees with kubescape, and reads at least 3 rules', async () => {
    const { corpus, wrong } = await runCommittedCorpus('kubescape-regolibrary');
    expect(wrong).toEqual([]);
    expect(corpus).toMatchObject({ suites: 41, verifiedButWrong: 0 });
    expect(corpus.agrees).toBeGreaterThanOrEqual(3);
  });
});
