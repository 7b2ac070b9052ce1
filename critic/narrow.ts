import type { Finding, JsPolicy, Plan, TestCase } from '../common/index.js';
import { codeFacts } from './code-facts.js';
import type { SuiteRunner } from './fuzz.js';
import { scopedSelector } from './harden.js';
import { SYSTEM_NAMESPACES } from './namespaces.js';

/** A namespace no intent names: acting there means acting everywhere. */
export const UNRELATED_NAMESPACE = 'policyforge-scope-probe';

export interface ScopeExperiment {
  /** The policy, with its namespaceSelector narrowed when the experiment allows it (else unchanged). */
  policy: JsPolicy;
  /** True when the selector was narrowed to `intended`. */
  narrowed: boolean;
  /** The namespaces the plan means the policy for. */
  intended: string[];
  /** The namespaces the plan's cases were moved to. */
  probed: string[];
  /** Where the code, run regardless of its selectors, denied, warned, mutated or threw. */
  actsIn: string[];
  /** What was learned, for the report (advisory). */
  finding?: Finding;
}

/**
 * Scope narrowing by experiment: runs the plan's cases moved to other namespaces (the plan's, the cases',
 * names the code mentions, `default` and an unrelated one) with the selectors ignored, and records where
 * the code acts. When it never acts outside the namespaces the plan names, the selector is narrowed to
 * them (the code already behaves that way, so no decision changes). A cluster-wide plan is never
 * narrowed by experiment — the probes cannot show that no other namespace matters — but a code that only
 * acts in a few namespaces is reported.
 */
export async function narrowScope(policy: JsPolicy, plan: Plan, sandbox: SuiteRunner): Promise<ScopeExperiment> {
  const system = SYSTEM_NAMESPACES as readonly string[];
  const intended = (plan.target.namespaces ?? []).filter((n) => !system.includes(n));
  const movable = plan.tests.filter((c) => namespaceOf(c) !== undefined);
  const literals = typeof policy.spec.javascript === 'string' ? codeFacts(policy.spec.javascript).nameLiterals : [];
  const probed = [
    ...new Set([
      ...intended,
      ...movable.flatMap((c) => namespaceOf(c) ?? []),
      ...literals.slice(0, 10),
      'default',
      UNRELATED_NAMESPACE,
    ]),
  ].filter((n) => !system.includes(n));
  const unchanged = { policy, narrowed: false, intended, probed, actsIn: [] as string[] };
  if (!movable.length) return unchanged;

  const moved: Array<{ ns: string; testCase: TestCase }> = [];
  for (const c of movable) for (const ns of probed) moved.push({ ns, testCase: moveTo(c, ns) });
  const result = await sandbox.runSuite(
    policy,
    moved.map((m) => m.testCase),
    { ignoreSelectors: true },
  );
  if (result.compileError) return unchanged;
  const acts = new Set<string>();
  result.cases.forEach((r, i) => {
    if (r.outcome.actual !== 'allow' || r.outcome.error) acts.add(moved[i].ns);
  });
  const actsIn = probed.filter((n) => acts.has(n));

  if (!intended.length) {
    if (actsIn.length && !acts.has(UNRELATED_NAMESPACE) && !acts.has('default')) {
      return {
        ...unchanged,
        actsIn,
        finding: {
          rule: 'scope/acts-in-few-namespaces',
          severity: 'advisory',
          message: `the plan is cluster-wide, but the code only ever acted in ${actsIn.join(', ')} of the ${probed.length} namespaces probed`,
          fix: `if the policy is meant for ${actsIn.join(', ')} only, name them in the plan so the namespaceSelector can be scoped`,
          path: 'spec.namespaceSelector',
        },
      };
    }
    return { ...unchanged, actsIn };
  }
  const outside = actsIn.filter((n) => !intended.includes(n));
  if (outside.length) {
    return {
      ...unchanged,
      actsIn,
      finding: {
        rule: 'scope/code-acts-outside',
        severity: 'advisory',
        message: `run regardless of its selector, the code also acts in ${outside.join(', ')}: only the namespaceSelector keeps it to ${intended.join(', ')}`,
        fix: `keep spec.namespaceSelector restricted to ${intended.join(', ')} (or check request.namespace in the code)`,
        path: 'spec.namespaceSelector',
      },
    };
  }
  const narrowedPolicy: JsPolicy = {
    ...policy,
    spec: { ...policy.spec, namespaceSelector: scopedSelector(policy.spec.namespaceSelector, intended) },
  };
  return {
    policy: narrowedPolicy,
    narrowed: true,
    intended,
    probed,
    actsIn,
    finding: {
      rule: 'scope/narrowed',
      severity: 'advisory',
      message: `moved to ${probed.length} namespaces, the code only acted in ${actsIn.join(', ') || 'none of them'}, all within ${intended.join(', ')}: the namespaceSelector was narrowed to them`,
      fix: 'nothing to do: the narrowed selector changes no decision the cases showed',
      path: 'spec.namespaceSelector',
    },
  };
}

function namespaceOf(c: TestCase): string | undefined {
  return c.namespace ?? c.object?.metadata?.namespace ?? c.oldObject?.metadata?.namespace;
}

function moveTo(c: TestCase, ns: string): TestCase {
  const move = <T extends TestCase['object']>(o: T): T =>
    o ? { ...o, metadata: { ...(o.metadata ?? {}), namespace: ns } } : o;
  return {
    ...c,
    name: `${c.name} @ ${ns}`,
    namespace: ns,
    object: move(c.object),
    oldObject: move(c.oldObject),
    expect: 'allow',
    message: undefined,
    patched: undefined,
  };
}
