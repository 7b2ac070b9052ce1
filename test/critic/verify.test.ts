import { afterAll, describe, expect, it } from 'vitest';
import type { JsPolicy, Plan, Suite } from '../../common/index.js';
import { harden, lintPolicy, narrowScope, renderReport, verify } from '../../critic/index.js';
import { createSandbox, formatSuiteResult } from '../../sandbox/index.js';
import { referencePolicies, userIamPolicyDraft, userProdPodsDraft } from './fixtures.js';
import { haveSharedIntents } from '../support/shared-intents.js';
import { podsPlan } from '../support/plans.js';

const sandbox = createSandbox();
afterAll(() => sandbox.close());
const refs = referencePolicies();
// Describe bodies run at collection even when skipped: without the shared suites, an empty stand-in.
const ref = (id: string) =>
  refs.find((r) => r.id === id) ?? ({ id, suite: { intent: '', cases: [] } } as unknown as (typeof refs)[number]);

function planFor(suite: Suite, target: Partial<Plan['target']> = {}): Plan {
  return podsPlan(suite.cases, { operations: ['CREATE', 'UPDATE'], ...target });
}

describe.skipIf(!haveSharedIntents)('verify', () => {
  it('the user’s IAMPolicy draft fails with the wrong-group finding and a fuzz crash, both with fixes', async () => {
    const suite = ref('iampolicy-no-project').suite;
    const report = await verify(
      userIamPolicyDraft(),
      planFor(suite, {
        resources: ['iampolicies'],
        apiGroups: ['iam.cnrm.cloud.google.com'],
        apiVersions: ['v1beta1'],
      }),
      { sandbox, intent: { text: suite.intent } },
    );
    expect(report.passed).toBe(false);
    expect(report.findings.find((f) => f.rule === 'catalog/wrong-group')?.message).toContain(
      'iampolicies is served by iam.cnrm.cloud.google.com',
    );
    expect(report.fuzz.some((c) => /reading 'kind'/.test(c.error))).toBe(true);
    const crash = report.findings.find((f) => f.rule === 'fuzz/crash')!;
    expect(crash.severity).toBe('blocking');
    expect(crash.message).toMatch(/^denies with 500 on /);
    // The draft never matches IAMPolicies, so the deny cases fail too.
    expect(report.suite?.passed).toBe(false);
    const text = renderReport(report);
    expect(text).toContain('iam.cnrm.cloud.google.com');
    expect(text).toContain('denies with 500 on');
  });

  it('the user’s env=prod draft, hardened, passes: scoped to test, suite green, no crash', async () => {
    const suite = ref('no-prod-pods-in-test').suite;
    const plan = planFor(suite, { namespaces: ['test'] });
    const intent = { text: suite.intent };
    const before = await verify(userProdPodsDraft(), plan, { sandbox, intent });
    expect(before.passed).toBe(false);
    expect(before.findings.filter((f) => f.severity === 'blocking').map((f) => f.rule)).toEqual(
      expect.arrayContaining(['safety/failure-policy-fail', 'safety/all-namespaces']),
    );
    const hardened = harden(userProdPodsDraft(), plan, intent);
    const after = await verify(hardened, plan, { sandbox, intent });
    expect(after.passed, renderReport(after)).toBe(true);
    expect(hardened.spec.namespaceSelector?.matchExpressions).toEqual([
      { key: 'kubernetes.io/metadata.name', operator: 'In', values: ['test'] },
    ]);
  });

  it('blocks on a failing case, a compile error, a crash and a dry-run error', async () => {
    const suite = ref('no-prod-pods-in-test').suite;
    const plan = planFor(suite, { namespaces: ['test'] });
    const intent = { text: suite.intent };
    const good = ref('no-prod-pods-in-test').policy;
    const rules = async (p: JsPolicy, dryRun?: (p: JsPolicy) => Promise<string[]>) => {
      const r = await verify(p, plan, { sandbox, intent, dryRun });
      expect(r.passed).toBe(false);
      return r.findings.filter((f) => f.severity === 'blocking').map((f) => f.rule);
    };
    expect(
      await rules({
        ...good,
        spec: { ...good.spec, javascript: "if (request.object.metadata.labels?.env === 'dev') deny('x')" },
      }),
    ).toContain('suite/case-failed');
    expect(await rules({ ...good, spec: { ...good.spec, javascript: 'if (' } })).toContain('code/syntax');
    expect(
      await rules({
        ...good,
        spec: { ...good.spec, javascript: "if (request.object.metadata.labels.env === 'prod') deny('x')" },
      }),
    ).toContain('fuzz/crash');
    const dry = await verify(good, plan, {
      sandbox,
      intent,
      dryRun: async () => ['spec.violationPolicy: Unsupported value'],
    });
    expect(dry.passed).toBe(false);
    expect(dry.dryRunErrors).toEqual(['spec.violationPolicy: Unsupported value']);
    expect(dry.findings.map((f) => f.rule)).toContain('cluster/dry-run');
  });

  it('can skip fuzzing, and reports an invalid plan case as a blocking finding naming it', async () => {
    const suite = ref('no-prod-pods-in-test').suite;
    const policy = harden(ref('no-prod-pods-in-test').policy, undefined, { text: suite.intent });
    const plan = planFor(suite, { namespaces: ['test'] });
    const crashing = {
      ...policy,
      spec: { ...policy.spec, javascript: "if (request.object.metadata.labels.env === 'prod') deny('x')" },
    };
    expect((await verify(crashing, plan, { sandbox, fuzz: false, intent: { text: suite.intent } })).fuzz).toEqual([]);
    const bad = await verify(
      policy,
      { ...plan, tests: [{ name: 'no object', expect: 'allow' }] },
      { sandbox, intent: { text: suite.intent } },
    );
    expect(bad.passed).toBe(false);
    expect(bad.findings.find((f) => f.rule === 'suite/invalid')?.message).toContain('no object');
  });
});

describe.skipIf(!haveSharedIntents)(
  'harden keeps every reference policy’s decisions (suites re-run on the hardened policies)',
  () => {
    it.each(refs.map((r) => [r.id, r] as const))('%s', async (_id, r) => {
      const intent = { text: r.suite.intent };
      const hardened = harden(r.policy, undefined, intent);
      expect(lintPolicy(hardened, { intent }).filter((f) => f.severity === 'blocking')).toEqual([]);
      const result = await sandbox.runSuite(hardened, r.suite);
      expect(result.passed, formatSuiteResult(result)).toBe(true);
      expect(hardened.spec.failurePolicy).toBe('Ignore');
      expect(hardened.spec.timeoutSeconds).toBeLessThanOrEqual(5);
    });
  },
);

describe.skipIf(!haveSharedIntents)('narrowScope', () => {
  const suite = ref('no-prod-pods-in-test').suite;

  it('narrows the selector when the code never acts outside the plan’s namespaces', async () => {
    const result = await narrowScope(userProdPodsDraft(), planFor(suite, { namespaces: ['test'] }), sandbox);
    expect(result.narrowed).toBe(true);
    expect(result.actsIn).toEqual(['test']);
    expect(result.probed).toEqual(expect.arrayContaining(['test', 'default', 'policyforge-scope-probe']));
    expect(result.policy.spec.namespaceSelector?.matchExpressions).toEqual([
      { key: 'kubernetes.io/metadata.name', operator: 'In', values: ['test'] },
    ]);
    expect(result.finding?.rule).toBe('scope/narrowed');
    expect((await sandbox.runSuite(result.policy, suite)).passed).toBe(true);
  });

  it('does not narrow when the code acts elsewhere too, and says the selector is what scopes it', async () => {
    const everywhere = {
      ...userProdPodsDraft(),
      spec: {
        ...userProdPodsDraft().spec,
        javascript: "if (request.object.metadata.labels?.env === 'prod') deny('x')",
      },
    };
    const result = await narrowScope(everywhere, planFor(suite, { namespaces: ['test'] }), sandbox);
    expect(result.narrowed).toBe(false);
    expect(result.actsIn).toEqual(expect.arrayContaining(['test', 'default']));
    expect(result.finding?.rule).toBe('scope/code-acts-outside');
    expect(result.policy).toBe(everywhere);
  });

  it('never narrows a cluster-wide plan, but reports code that acts in few namespaces', async () => {
    const result = await narrowScope(userProdPodsDraft(), planFor(suite), sandbox);
    expect(result.narrowed).toBe(false);
    expect(result.finding?.rule).toBe('scope/acts-in-few-namespaces');
  });
});

describe.skipIf(!haveSharedIntents)('verify: the scope experiment', () => {
  const suite = ref('no-prod-pods-in-test').suite;

  it('asks about a cluster-wide plan whose code only acts in a few namespaces (advisory: it passes)', async () => {
    const plan = planFor(suite);
    const report = await verify(harden(userProdPodsDraft(), plan), plan, { sandbox, fuzz: false });
    const finding = report.findings.find((f) => f.rule === 'scope/acts-in-few-namespaces');
    expect(finding).toMatchObject({ severity: 'advisory', path: 'spec.namespaceSelector' });
    expect(finding?.message).toContain('test');
    expect(report.passed).toBe(true);
  });

  it('says nothing when the plan names the namespaces, or when the code acts everywhere', async () => {
    const scoped = await verify(userProdPodsDraft(), planFor(suite, { namespaces: ['test'] }), {
      sandbox,
      fuzz: false,
    });
    expect(scoped.findings.map((f) => f.rule)).not.toContain('scope/acts-in-few-namespaces');
    const everywhere = {
      ...userProdPodsDraft(),
      spec: {
        ...userProdPodsDraft().spec,
        javascript: "if (request.object.metadata.labels?.env === 'prod') deny('x')",
      },
    };
    const anyPod = await verify(
      everywhere,
      planFor({ intent: '', cases: suite.cases.filter((c) => c.expect === 'deny') } as Suite),
      { sandbox, fuzz: false },
    );
    expect(anyPod.findings.map((f) => f.rule)).not.toContain('scope/acts-in-few-namespaces');
  });
});

describe.skipIf(!haveSharedIntents)('verify without cases', () => {
  it('still compiles the code in V8 and says there are no cases', async () => {
    const policy = harden(ref('block-nodeport').policy, undefined, {
      text: 'Services of type NodePort are not allowed.',
    });
    const plan = planFor({ intent: '', cases: [] }, { resources: ['services'] });
    const ok = await verify(policy, plan, { sandbox, fuzz: false });
    expect(ok.findings.map((f) => f.rule)).toContain('suite/no-cases');
    expect(ok.passed).toBe(true);
    // Duplicate named groups in alternatives are ES2025: acorn parses them, Node 20's V8 (like jsPolicy's) does not.
    const javascript = "const r = /(?<a>x)|(?<a>y)/; if (r.test(request.object.spec?.type ?? '')) deny('x')";
    expect(lintPolicy({ ...policy, spec: { ...policy.spec, javascript } }).map((f) => f.rule)).not.toContain(
      'code/syntax',
    );
    const broken = await verify({ ...policy, spec: { ...policy.spec, javascript } }, plan, { sandbox, fuzz: false });
    expect(broken.passed).toBe(false);
    expect(broken.findings.find((f) => f.rule === 'code/compile')?.message).toContain('Duplicate capture group name');
    expect(renderReport(broken)).toContain('code/compile');
  });
});
