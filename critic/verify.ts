import { builtinCatalog, type ApiCatalog } from '../catalog/index.js';
import {
  isPolicyforgeError,
  logger,
  parseCase,
  type Finding,
  type Intent,
  type JsPolicy,
  type Plan,
  type Report,
  type SuiteResult,
} from '../common/index.js';
import { fuzzPolicy, type SuiteRunner } from './fuzz.js';
import { lintPolicy } from './lint.js';
import { narrowScope } from './narrow.js';
import { CallRecord, declaredSideEffectFindings, observedSideEffectFindings } from './side-effects.js';

export interface VerifyDeps {
  /** Runs the plan's cases and the fuzz variants (a sandbox/ SandboxRunner). */
  sandbox: SuiteRunner;
  /** @defaultValue builtinCatalog() */
  catalog?: ApiCatalog;
  intent?: Intent;
  /** Search for crashes. @defaultValue true */
  fuzz?: boolean;
  /** Server-side dry-run of the policy when a cluster is there: the API server's error messages. */
  dryRun?: (p: JsPolicy) => Promise<string[]>;
}

/**
 * Everything the critic checks about a draft, in one report: static lints (schema, code, API catalog,
 * safety), the plan's cases in the sandbox, a scope experiment for cluster-wide plans (narrowScope),
 * fuzzing for crashes, and a server-side dry-run when a cluster is there. Behaviour is judged too: every side
 * effect the sandbox recorded in any of those runs is checked against the plan's declared sideEffects, and the
 * declarations against the intent (critic/side-effects.ts). `passed` only when nothing blocking remains: a failing case, a compile error, a fuzz crash, a
 * blocking finding or a dry-run error each block, and each is also a finding with its fix, so the coder
 * gets one list. verify() reports; it changes nothing (apply harden() to a draft first).
 */
export async function verify(draft: JsPolicy, plan: Plan, deps: VerifyDeps): Promise<Report> {
  const log = logger().child({ module: 'critic' });
  const catalog = deps.catalog ?? builtinCatalog();
  const findings: Finding[] = [
    ...declaredSideEffectFindings(plan, deps.intent),
    ...lintPolicy(draft, { catalog, plan, intent: deps.intent }),
  ];
  // Behaviour is the judge: every run below (cases, scope probes, fuzz variants) goes through this recorder.
  const observed = new CallRecord();
  const sandbox = recordingCalls(deps.sandbox, observed);
  const structurallyBroken = findings.some((f) => ['schema/spec', 'schema/javascript'].includes(f.rule));

  let suite: SuiteResult | undefined;
  if (!structurallyBroken && plan.tests.length) {
    try {
      // The plan's cases in the suite format (common's TestCaseSchema): the sandbox trusts what it is given.
      const cases = plan.tests.map((c, i) => parseCase(c, `plan case ${c.name ? `"${c.name}"` : `#${i + 1}`}`));
      suite = await sandbox.runSuite(draft, cases);
    } catch (err) {
      if (!isPolicyforgeError(err, 'PF_ERR_SUITE_INVALID')) throw err;
      findings.push({
        rule: 'suite/invalid',
        severity: 'blocking',
        message: err.message,
        fix: 'correct the test case named in the message (plan.tests)',
      });
    }
  } else if (!plan.tests.length) {
    findings.push({
      rule: 'suite/no-cases',
      severity: 'advisory',
      message: 'the plan has no test cases: nothing shows the policy does what was asked',
      fix: 'add allow and deny cases to the plan',
    });
    // No suite run compiled the code in V8: an empty suite does (acorn's parse is the lint's, V8's is jsPolicy's).
    // It goes through the sandbox the suites use, bundled as they would bundle it, so under 'process' isolation
    // no isolate is made in this process (the design keeps isolates out of the service).
    if (!structurallyBroken && !findings.some((f) => f.rule === 'code/syntax')) {
      const compiled = await sandbox.runSuite(draft, []);
      if (compiled.compileError) {
        findings.push({
          rule: 'code/compile',
          severity: 'blocking',
          message: `the javascript does not compile (${compiled.compileError}): jsPolicy deletes the webhook and nothing is enforced`,
          fix: 'fix the error so spec.javascript compiles as a plain script',
          path: 'spec.javascript',
        });
      }
    }
  }
  if (suite?.compileError && !findings.some((f) => f.rule === 'code/syntax')) {
    findings.push({
      rule: 'code/compile',
      severity: 'blocking',
      message: `the javascript does not compile (${suite.compileError}): jsPolicy deletes the webhook and nothing is enforced`,
      fix: 'fix the error so spec.javascript compiles as a plain script',
      path: 'spec.javascript',
    });
  }
  for (const c of suite && !suite.compileError ? suite.cases : []) {
    if (c.passed) continue;
    findings.push({
      rule: 'suite/case-failed',
      severity: 'blocking',
      message: `case "${c.name}": ${c.failure ?? `expected ${c.expected}, got ${c.outcome.actual}`}`.replace(
        /\s+/g,
        ' ',
      ),
      fix: c.outcome.error
        ? 'make the code not throw on this object (optional chaining, defaults)'
        : `change the logic so this request gives ${c.expected}${c.outcome.matched ? '' : ' (the match rules did not select it: check resources, apiGroups, operations and selectors)'}`,
    });
  }

  // Where the code acts with its selectors ignored: a cluster-wide plan whose code only ever acts in a few
  // namespaces most likely missed the namespaces the intent meant (the user's env=prod-in-test policy, planned
  // for every namespace). Advisory: the intent decides the scope, the experiment only raises the question.
  if (suite?.passed && !suite.compileError && !(plan.target.namespaces ?? []).length) {
    const scope = await narrowScope(draft, plan, sandbox);
    if (scope.finding?.rule === 'scope/acts-in-few-namespaces') findings.push(scope.finding);
  }

  const fuzz =
    deps.fuzz !== false &&
    !structurallyBroken &&
    !suite?.compileError &&
    !findings.some((f) => f.rule === 'code/syntax')
      ? await fuzzPolicy(draft, plan.tests, sandbox, { catalog })
      : [];
  for (const crash of fuzz) {
    findings.push({
      rule: 'fuzz/crash',
      severity: 'blocking',
      message: `denies with 500 on ${crash.from} with ${crash.mutation}: ${crash.error}`.replace(/\s+/g, ' '),
      fix: 'guard the access with optional chaining (?.) and defaults (?? / ||) so an object without that field does not throw',
      path: 'spec.javascript',
    });
  }

  findings.push(...observedSideEffectFindings(observed.calls(), plan, deps.intent));

  let dryRunErrors: string[] = [];
  if (deps.dryRun) {
    try {
      dryRunErrors = await deps.dryRun(draft);
    } catch (err) {
      dryRunErrors = [`dry-run failed: ${err instanceof Error ? err.message : String(err)}`];
    }
    for (const e of dryRunErrors) {
      findings.push({
        rule: 'cluster/dry-run',
        severity: 'blocking',
        message: `the API server rejects the policy: ${e}`.replace(/\s+/g, ' '),
        fix: 'correct the field the API server names',
      });
    }
  }

  const blocking = findings.filter((f) => f.severity === 'blocking').length;
  const passed = blocking === 0 && (suite ? suite.passed : true);
  log.debug(
    {
      policy: draft?.metadata?.name,
      passed,
      blocking,
      cases: suite ? `${suite.total - suite.failed}/${suite.total}` : 'none',
      crashes: fuzz.length,
    },
    'verified draft',
  );
  return { passed, findings: sortFindings(findings), ...(suite ? { suite } : {}), fuzz, dryRunErrors };
}

/** Wraps the sandbox so every case it runs has its recorded calls (side effects) collected. */
function recordingCalls(sandbox: SuiteRunner, into: CallRecord): SuiteRunner {
  return {
    async runSuite(policy, cases, options) {
      const result = await sandbox.runSuite(policy, cases, options);
      for (const c of result.cases) for (const call of c.outcome.calls) into.add(c.name, call);
      return result;
    },
  };
}

// What the policy does (plan/, behaviour/) first: it is the most serious and the loop's reason names it.
const ORDER = ['plan/', 'behaviour/', 'schema/', 'code/', 'catalog/', 'suite/', 'fuzz/', 'cluster/', 'safety/'];
function sortFindings(findings: Finding[]): Finding[] {
  const rank = (f: Finding): number => {
    const i = ORDER.findIndex((p) => f.rule.startsWith(p));
    return (f.severity === 'blocking' ? 0 : 100) + (i < 0 ? ORDER.length : i);
  };
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
    .map(({ f }) => f);
}
