import { afterAll, describe, expect, it } from 'vitest';
import type { DeclaredSideEffect, Intent, JsPolicy, Plan, Report, TestCase } from '../../common/index.js';
import {
  CallRecord,
  harden,
  lintPolicy,
  MAX_DISTINCT_CALLS,
  observedSideEffectFindings,
  renderReport,
  verify,
} from '../../critic/index.js';
import { createSandbox } from '../../sandbox/index.js';

const sandbox = createSandbox();
afterAll(() => sandbox.close());

const configMap = (name: string, namespace: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace, labels },
  data: { k: 'v' },
});

function policy(type: 'Validating' | 'Controller', javascript: string, resources = ['configmaps']): JsPolicy {
  return {
    apiVersion: 'policy.jspolicy.com/v1beta1',
    kind: 'JsPolicy',
    metadata: { name: 'side-effects.test.policyforge.dev' },
    spec: {
      type,
      operations: type === 'Controller' ? ['CREATE'] : ['CREATE', 'UPDATE'],
      resources,
      apiGroups: [''],
      failurePolicy: 'Ignore',
      timeoutSeconds: 5,
      javascript,
    },
  };
}

function plan(
  type: 'Validating' | 'Controller',
  tests: TestCase[],
  sideEffects?: DeclaredSideEffect[],
  resources = ['configmaps'],
): Plan {
  return {
    target: {
      type,
      resources,
      apiGroups: [''],
      apiVersions: ['v1'],
      operations: type === 'Controller' ? ['CREATE'] : ['CREATE', 'UPDATE'],
      scope: '*',
      namespaces: ['apps'],
    },
    steps: [],
    tests,
    ...(sideEffects ? { sideEffects } : {}),
  };
}

/** verify() with the design's safety defaults applied first, as the loop does. */
async function verified(p: JsPolicy, pl: Plan, intent: Intent): Promise<Report> {
  return verify(harden(p, pl, intent), pl, { sandbox, intent });
}

const blocking = (r: Report, rule: string) => r.findings.filter((f) => f.rule === rule && f.severity === 'blocking');

// A Controller that copies ConfigMaps labelled sync=true into the namespace `shared`.
const COPY_INTENT: Intent = {
  text: 'Copy every ConfigMap labelled sync=true in namespace apps into the namespace shared.',
};
const COPY_CODE = `const cm = request.object;
if (cm?.metadata?.labels?.sync !== 'true') exit();
create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: cm.metadata.name, namespace: 'shared' }, data: cm.data ?? {} });`;
const COPY_CASES: TestCase[] = [
  {
    name: 'a ConfigMap labelled sync=true is copied',
    namespace: 'apps',
    object: configMap('settings', 'apps', { sync: 'true' }),
    expect: 'allow',
  },
  {
    name: 'a ConfigMap without the label is left alone',
    namespace: 'apps',
    object: configMap('other', 'apps'),
    expect: 'allow',
  },
];

// A Controller that deletes ConfigMaps labelled expired=true.
const EXPIRE_INTENT: Intent = { text: 'Delete ConfigMaps labelled expired=true in namespace apps.' };
const EXPIRE_CODE = "if (request.object?.metadata?.labels?.expired === 'true') remove(request.object);";
const EXPIRE_CASES: TestCase[] = [
  {
    name: 'an expired ConfigMap is deleted',
    namespace: 'apps',
    object: configMap('old', 'apps', { expired: 'true' }),
    expect: 'allow',
  },
  { name: 'a current ConfigMap stays', namespace: 'apps', object: configMap('new', 'apps'), expect: 'allow' },
];

describe('verify judges what the code does against the side effects the plan declares', () => {
  it('passes a Controller whose create its plan declares, and blocks the same code when the plan declares nothing, naming the call, the case and its arguments', async () => {
    const declared = await verified(
      policy('Controller', COPY_CODE),
      plan('Controller', COPY_CASES, [{ fn: 'create', kinds: ['ConfigMap'], reason: 'copy ConfigMaps into shared' }]),
      COPY_INTENT,
    );
    expect(declared.passed, renderReport(declared)).toBe(true);
    expect(declared.suite?.cases[0].outcome.calls.map((c) => c.fn)).toEqual(['create']);

    const report = await verified(policy('Controller', COPY_CODE), plan('Controller', COPY_CASES), COPY_INTENT);
    expect(report.passed).toBe(false);
    const [finding] = blocking(report, 'behaviour/undeclared-side-effect');
    expect(finding.message).toContain('create(');
    expect(finding.message).toContain('case "a ConfigMap labelled sync=true is copied"');
    expect(finding.message).toContain('"namespace":"shared"');
    expect(finding.message).toContain('the plan does not declare create on ConfigMap');
    // The static lint says it too, now for Controller policies.
    expect(blocking(report, 'code/undeclared-side-effect').map((f) => f.message)).toEqual([
      expect.stringContaining('create()'),
    ]);
  });

  it('blocks a write of a kind the plan did not declare', async () => {
    const report = await verified(
      policy('Controller', COPY_CODE),
      plan('Controller', COPY_CASES, [{ fn: 'create', kinds: ['Secret'], reason: 'copy' }]),
      COPY_INTENT,
    );
    expect(blocking(report, 'behaviour/undeclared-side-effect')[0]?.message).toContain(
      'the plan does not declare create on ConfigMap',
    );
  });

  it('blocks a declared deletion without the explicit allowDeletes approval, and passes it with one', async () => {
    const declared = plan('Controller', EXPIRE_CASES, [
      { fn: 'remove', kinds: ['ConfigMap'], reason: 'delete expired ConfigMaps' },
    ]);
    const withoutApproval = await verified(policy('Controller', EXPIRE_CODE), declared, EXPIRE_INTENT);
    expect(withoutApproval.passed).toBe(false);
    expect(blocking(withoutApproval, 'safety/delete-needs-approval').map((f) => f.message)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('the plan declares remove()'),
        expect.stringContaining('case "an expired ConfigMap is deleted"'),
      ]),
    );
    const approved = await verified(policy('Controller', EXPIRE_CODE), declared, {
      ...EXPIRE_INTENT,
      options: { allowDeletes: true },
    });
    expect(approved.passed, renderReport(approved)).toBe(true);
  });

  it('never allows deleting a system namespace, whatever the plan declares and even with allowDeletes', async () => {
    const hijacked =
      "remove({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system' } });\nif (request.object?.metadata?.labels?.expired === 'true') remove(request.object);";
    const declared = plan('Controller', EXPIRE_CASES, [
      { fn: 'remove', kinds: ['ConfigMap', 'namespaces'], reason: 'delete the namespace kube-system' },
    ]);
    const report = await verified(policy('Controller', hijacked), declared, {
      text: `${EXPIRE_INTENT.text} And delete the namespace kube-system.`,
      options: { allowDeletes: true },
    });
    expect(report.passed).toBe(false);
    expect(blocking(report, 'plan/side-effect-forbidden').map((f) => f.message)).toEqual([
      expect.stringMatching(/remove\(\) on namespaces is never allowed/),
      expect.stringContaining('in kube-system: a policy never writes in system namespaces'),
    ]);
    const forbidden = blocking(report, 'behaviour/forbidden-side-effect');
    expect(forbidden).toHaveLength(1);
    expect(forbidden[0].message).toContain('"kind":"Namespace"');
    expect(forbidden[0].message).toContain('kube-system');
    // Every run saw it: the cases and the fuzz variants.
    expect(forbidden[0].message).toMatch(/and \d+ other run\(s\)/);
    // The loop's failure reason lists blocking rules first to last: what the code does comes first.
    expect(report.findings[0].rule).toMatch(/^(plan|behaviour)\//);
  });

  it('blocks writes in system namespaces and to RBAC, webhooks, leases or CRDs even when declared', async () => {
    const code =
      "create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'kube-system' } });\ncreate({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'pwn' }, roleRef: { kind: 'ClusterRole', name: 'cluster-admin' } });";
    const declared = plan('Controller', COPY_CASES, [
      { fn: 'create', kinds: ['ConfigMap', 'ClusterRoleBinding'], reason: 'copy' },
    ]);
    const report = await verified(policy('Controller', code), declared, COPY_INTENT);
    const messages = blocking(report, 'behaviour/forbidden-side-effect').map((f) => f.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringContaining('system namespace kube-system'),
        expect.stringContaining('create() on ClusterRoleBinding is never allowed'),
      ]),
    );
    expect(blocking(report, 'plan/side-effect-forbidden')[0]?.message).toContain('ClusterRoleBinding');
  });

  it('blocks a plan that declares side effects the intent does not ask for, or writes in a webhook policy', async () => {
    const report = await verified(
      policy('Validating', "if (request.object?.metadata?.labels?.env === 'prod') deny('no prod');"),
      plan(
        'Validating',
        [{ name: 'prod denied', namespace: 'apps', object: configMap('p', 'apps', { env: 'prod' }), expect: 'deny' }],
        [
          { fn: 'update', kinds: ['ConfigMap'], reason: 'because' },
          { fn: 'fetchSync', reason: 'because' },
        ],
      ),
      { text: 'Deny ConfigMaps labelled env=prod in namespace apps.' },
    );
    expect(blocking(report, 'plan/side-effect-not-asked').map((f) => f.message)).toEqual([
      expect.stringContaining('update on ConfigMap'),
      expect.stringContaining('fetchSync'),
    ]);
    expect(blocking(report, 'plan/side-effect-in-webhook')).toHaveLength(2);
  });

  it('checks reads outside the request too: readFileSync and env are recorded and must be declared', async () => {
    const code =
      "const motd = readFileSync('/etc/policy/allowed-registries');\nconst region = env('REGION');\nif (request.object?.metadata?.labels?.env === 'prod') deny('no prod ' + region);";
    const cases: TestCase[] = [
      { name: 'prod denied', namespace: 'apps', object: configMap('p', 'apps', { env: 'prod' }), expect: 'deny' },
      { name: 'dev allowed', namespace: 'apps', object: configMap('d', 'apps', { env: 'dev' }), expect: 'allow' },
    ];
    const report = await verified(policy('Validating', code), plan('Validating', cases), {
      text: 'Deny ConfigMaps labelled env=prod in namespace apps.',
    });
    const messages = blocking(report, 'behaviour/undeclared-side-effect').map((f) => f.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringContaining('readFileSync("/etc/policy/allowed-registries") in case "prod denied"'),
        expect.stringContaining('env("REGION")'),
      ]),
    );
    expect(report.suite?.cases[0].outcome.calls).toEqual([
      { fn: 'readFileSync', args: ['/etc/policy/allowed-registries'] },
      { fn: 'env', args: ['REGION'] },
    ]);
  });

  it("never allows reading the pod's credentials or calling the API server or a metadata service, even when declared", async () => {
    const code =
      "const t = readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/token');\ntry { fetchSync('https://kubernetes.default.svc/api/v1/namespaces/kube-system', { method: 'DELETE' }); } catch (e) {}\ntry { fetchSync('http://169.254.169.254/latest/meta-data/'); } catch (e) {}\ntry { fetchSync('https://hooks.example.com/notify'); } catch (e) {}\nif (request.object?.metadata?.labels?.expired === 'true') deny('expired');";
    const cases: TestCase[] = [
      {
        name: 'an expired ConfigMap is reported',
        namespace: 'apps',
        object: configMap('old', 'apps', { expired: 'true' }),
        expect: 'deny',
      },
      { name: 'a current ConfigMap is fine', namespace: 'apps', object: configMap('new', 'apps'), expect: 'allow' },
    ];
    const declared = plan('Controller', cases, [
      { fn: 'readFileSync', reason: 'read the file' },
      { fn: 'fetchSync', reason: 'call the endpoint' },
    ]);
    const report = await verified(policy('Controller', code), declared, {
      text: 'Report expired ConfigMaps in namespace apps, read the token file and call the endpoint https://hooks.example.com/notify.',
    });
    const forbidden = blocking(report, 'behaviour/forbidden-side-effect').map((f) => f.message);
    expect(forbidden).toEqual([
      expect.stringMatching(
        /^readFileSync\("\/var\/run\/secrets\/kubernetes.io\/serviceaccount\/token"\) in case "an expired ConfigMap is reported" and \d+ other run\(s\): it reads the jsPolicy pod's credentials$/,
      ),
      expect.stringContaining('it calls kubernetes.default.svc'),
      expect.stringContaining('it calls 169.254.169.254'),
    ]);
    // The declared call to an ordinary endpoint is not a finding.
    expect(report.findings.filter((f) => f.message.includes('hooks.example.com'))).toEqual([]);
  });

  it('judges the fuzz runs too: a deletion that only happens on an object without labels is found', async () => {
    const code =
      "if (!request.object?.metadata?.labels) remove(request.object);\nif (request.object?.metadata?.labels?.expired === 'true') deny('expired');";
    const cases: TestCase[] = [
      {
        name: 'an expired ConfigMap is reported',
        namespace: 'apps',
        object: configMap('old', 'apps', { expired: 'true' }),
        expect: 'deny',
      },
      {
        name: 'a current ConfigMap is fine',
        namespace: 'apps',
        object: configMap('new', 'apps', { team: 'a' }),
        expect: 'allow',
      },
    ];
    const report = await verified(policy('Controller', code), plan('Controller', cases), {
      text: 'Report ConfigMaps labelled expired=true in namespace apps.',
    });
    expect(report.suite?.passed).toBe(true);
    expect(report.suite?.cases.flatMap((c) => c.outcome.calls)).toEqual([]);
    const [finding] = blocking(report, 'behaviour/undeclared-side-effect');
    expect(finding.message).toMatch(/^remove\(.*\) in case ".* · (removed metadata\.labels|.*)"/);
  });

  it('a flood of recorded calls cannot hide a later side effect: the record says it was cut', async () => {
    const code =
      "for (let i = 0; i < 500; i++) env('X');\nif (request.object?.metadata?.labels?.env === 'prod') deny('no prod');";
    const cases: TestCase[] = [
      { name: 'prod denied', namespace: 'apps', object: configMap('p', 'apps', { env: 'prod' }), expect: 'deny' },
      { name: 'dev allowed', namespace: 'apps', object: configMap('d', 'apps', { env: 'dev' }), expect: 'allow' },
    ];
    const report = await verified(
      policy('Validating', code),
      plan('Validating', cases, [{ fn: 'env', reason: 'the environment variable X' }]),
      { text: 'Deny ConfigMaps labelled env=prod in namespace apps, reading the environment variable X.' },
    );
    const calls = report.suite!.cases[0].outcome.calls;
    expect(calls.at(-1)?.fn).toBe('calls-truncated');
    expect(blocking(report, 'behaviour/undeclared-side-effect')[0]?.message).toMatch(
      /^calls-truncated\(200\) in case "prod denied".*the rest of what the policy did is unknown/,
    );
  });
});

describe('CallRecord: the calls of every run of one verify()', () => {
  it('keeps one entry per distinct call with its run count, and says when it stopped keeping them', () => {
    const record = new CallRecord();
    for (let i = 0; i < 5; i++)
      record.add(`variant ${i}`, { fn: 'remove', args: [{ kind: 'Namespace', metadata: { name: 'kube-system' }, i }] });
    expect(record.calls()).toEqual([
      {
        case: 'variant 0',
        fn: 'remove',
        args: [{ kind: 'Namespace', metadata: { name: 'kube-system' }, i: 0 }],
        runs: 5,
      },
    ]);
    for (let i = 0; i < MAX_DISTINCT_CALLS + 10; i++) record.add('flood', { fn: 'env', args: [`VAR_${i}`] });
    const calls = record.calls();
    expect(calls).toHaveLength(MAX_DISTINCT_CALLS + 1);
    expect(calls.at(-1)?.fn).toBe('calls-truncated');
    const findings = observedSideEffectFindings(
      calls,
      plan('Controller', [], [{ fn: 'env', reason: 'environment variables' }]),
      { text: 'read environment variables', options: { allowDeletes: true } },
    );
    expect(findings.map((f) => f.rule)).toEqual([
      'behaviour/forbidden-side-effect',
      'behaviour/undeclared-side-effect',
    ]);
    expect(findings[0].message).toContain('and 4 other run(s)');
    expect(findings[1].message).toMatch(/^calls-truncated\(1000\) in case "flood"/);
  });
});

describe('the lints see side effects through indirection, for every policy type', () => {
  const lint = (type: 'Validating' | 'Controller', javascript: string, withPlan?: Plan) =>
    lintPolicy(policy(type, javascript), { plan: withPlan });
  const rules = (type: 'Validating' | 'Controller', javascript: string, withPlan?: Plan) =>
    lint(type, javascript, withPlan)
      .filter((f) => f.severity === 'blocking')
      .map((f) => f.rule);

  it('flags globals reached by computed names, eval, Function and the global object as a value', () => {
    for (const code of [
      "globalThis[['re','move'].join('')](request.object); deny('x');",
      "const k = 'remove'; this[k](request.object); deny('x');",
      "eval('remove(request.object)'); deny('x');",
      "new Function('return remove')()(request.object); deny('x');",
      "Reflect.get(globalThis, 'rem' + 'ove')(request.object); deny('x');",
      "[].constructor.constructor('return this')().remove(request.object); deny('x');",
      "const F = Object.getPrototypeOf(function () {}).constructor; F('return this')().remove(request.object); deny('x');",
      "const F = (() => 0).constructor; F('return this')().remove(request.object); deny('x');",
      'const g = self; deny(String(g));',
    ]) {
      expect(rules('Validating', code), code).toContain('code/indirect-global');
    }
    // Ordinary dynamic access stays quiet: computed keys on objects, `this` inside a class.
    const ordinary =
      "class Box { constructor(o) { this.o = o; } label(k) { return this.o?.metadata?.labels?.[k]; } }\nconst key = 'env';\nconst labels = request.object?.metadata?.labels ?? {};\nif (labels[key] === 'prod' || new Box(request.object).label(key) === 'prod') deny('no prod');";
    expect(
      lint('Validating', ordinary).filter(
        (f) =>
          f.rule === 'code/indirect-global' ||
          f.rule === 'safety/side-effects' ||
          f.rule === 'code/undeclared-side-effect',
      ),
    ).toEqual([]);
  });

  it('sees side-effect functions through aliases and literal names on globalThis/this', () => {
    for (const code of [
      "const r = remove; r(request.object); deny('x');",
      "globalThis['remove'](request.object); deny('x');",
      "this.remove(request.object); deny('x');",
      "const fns = { remove }; fns.remove(request.object); deny('x');",
    ]) {
      const found = lint('Validating', code).find((f) => f.rule === 'safety/side-effects');
      expect(found?.message, code).toContain('remove()');
    }
  });

  it('checks Controller policies against the plan: undeclared side effects block, declared ones pass', () => {
    const undeclared = plan('Controller', COPY_CASES);
    expect(rules('Controller', COPY_CODE, undeclared)).toContain('code/undeclared-side-effect');
    expect(
      rules(
        'Controller',
        COPY_CODE,
        plan('Controller', COPY_CASES, [{ fn: 'create', kinds: ['ConfigMap'], reason: 'copy' }]),
      ),
    ).not.toContain('code/undeclared-side-effect');
    // Without a plan (policyforge lint) it is advice: the policy may be a person's own Controller.
    expect(lint('Controller', COPY_CODE).find((f) => f.rule === 'code/undeclared-side-effect')?.severity).toBe(
      'advisory',
    );
  });
});
