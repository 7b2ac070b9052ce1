import type {
  CaseOutcome,
  CaseResult,
  Expectation,
  JsPolicy,
  KubeObject,
  TestCase,
  TimeoutDecision,
  ViolationRecord,
} from '../common/index.js';
import type { AdmissionRequest, ControllerRequest } from './admission.js';
import type { RawRun } from './engine.js';
import { createPatch } from './patch.js';

/** jsPolicy's own timeout when spec.timeoutSeconds is unset (pkg/webhook/handler.go 72-75; pkg/controllers/jspolicy.go 692-695). */
export const JSPOLICY_DEFAULT_TIMEOUT_SECONDS = 10;

/** The limit a run had and where it came from. */
export interface RunLimit {
  limitMs: number;
  limitSource: TimeoutDecision['limitSource'];
}

/** The limit that applies: the policy's own (or jsPolicy's default), unless a shorter cap is set. */
export function runLimit(policy: JsPolicy, capMs?: number): RunLimit {
  const own = (policy.spec.timeoutSeconds ?? JSPOLICY_DEFAULT_TIMEOUT_SECONDS) * 1000;
  if (capMs !== undefined && capMs < own) return { limitMs: capMs, limitSource: 'cap' };
  return { limitMs: own, limitSource: policy.spec.timeoutSeconds !== undefined ? 'policy' : 'default' };
}

/**
 * The API server's answer when a webhook call passes its deadline under failurePolicy Fail: the webhook is
 * named after the policy and served at /policy/<name> by the jspolicy service (pkg/controllers/jspolicy.go
 * 646-657), and the call's error is wrapped as an internal error (read from the code, not observed).
 */
export function apiServerTimeoutMessage(policyName: string, timeoutSeconds: number): string {
  return `Internal error occurred: failed calling webhook "${policyName}": failed to call webhook: Post "https://jspolicy.jspolicy.svc:443/policy/${policyName}?timeout=${timeoutSeconds}s": context deadline exceeded`;
}

/**
 * Turns what the script did into what the client sees, the way jsPolicy's webhook handler does:
 * policy type (mutate in Validating ends the run without a patch), violationPolicy (Warn turns a
 * rejection into a warning, Dry admits silently and drops the patch), errors → 500 `Uncaught …`.
 */
export function interpretRun(
  policy: JsPolicy,
  run: RawRun,
  original: KubeObject | undefined,
  limit?: RunLimit,
  request?: AdmissionRequest | ControllerRequest,
  vmWaitMs = 0,
): CaseOutcome {
  const type = policy.spec.type ?? 'Validating';
  const violation = policy.spec.violationPolicy ?? 'Deny';
  const name = policy.metadata.name;
  const warnings = run.warnings.map((w) => `[${name}]: ${w}`);
  const outcome: CaseOutcome = {
    matched: true,
    allowed: true,
    actual: 'allow',
    warnings,
    printed: run.printed,
    calls: run.calls,
    durationMs: run.durationMs,
  };
  let rejection: { code: number; reason: string; message: string } | undefined;
  if (run.error) {
    // jsPolicy answers an error with a bare 500 (admission.Errored): no reason, and the warnings the
    // script added are lost.
    outcome.error = run.error;
    outcome.errorKind = run.errorKind;
    outcome.warnings = [];
    rejection = { code: 500, reason: '', message: run.error };
  } else if (run.verdict?.kind === 'deny') {
    rejection = { code: run.verdict.code, reason: run.verdict.reason, message: run.verdict.message };
  } else if (run.verdict?.kind === 'mutate' && type === 'Mutating') {
    // Only Mutating policies patch: in Validating and Controller policies mutate() just ends the run.
    const mutated = JSON.parse(run.verdict.object) as unknown;
    const patch = createPatch(original ?? {}, mutated);
    if (patch.length) {
      outcome.patch = patch as CaseOutcome['patch'];
      outcome.patchedObject = mutated;
    }
  } else if (run.verdict?.kind === 'requeue') {
    outcome.message = run.verdict.message;
  }

  // The webhook's timeout is the VM's (pkg/controllers/jspolicy.go 692-695; pkg/webhook/handler.go 72-84),
  // so the API server's deadline passes first and failurePolicy decides; the VM's own "script <name> timed
  // out" never reaches the client. When only a shorter cap ran out, the cluster could still see the script
  // finish: the sandbox then keeps the 500, and says so.
  // A request that first waited for a VM (all VM_POOL_SIZE busy: pkg/vm/vmpool/vmpool.go 37-49) has that much
  // less of the API server's deadline left; a wait past the whole deadline means the script never ran.
  if (run.errorKind === 'timeout' && limit && type !== 'Controller') {
    const failurePolicy = policy.spec.failurePolicy ?? 'Fail';
    const own = runLimit(policy);
    const wait = Math.max(0, vmWaitMs);
    const byCap = limit.limitSource === 'cap' && limit.limitMs < own.limitMs - wait;
    const decidedBy = byCap ? 'sandbox-cap' : wait >= own.limitMs ? 'vm-pool' : 'failurePolicy';
    const decisive = byCap ? limit : own;
    const { limitMs, limitSource } = decisive;
    outcome.timeout = { limitMs, limitSource, failurePolicy, decidedBy, ...(wait > 0 ? { vmWaitMs: wait } : {}) };
    if (!byCap) {
      outcome.violation = violationOf(policy, request, { code: 500, reason: '', message: run.error ?? '' });
      if (failurePolicy === 'Ignore') {
        outcome.message = run.error;
        outcome.actual = 'allow';
        return outcome;
      }
      outcome.allowed = false;
      outcome.code = 500;
      outcome.reason = 'InternalError';
      outcome.message = apiServerTimeoutMessage(name, Math.round(own.limitMs / 1000));
      outcome.actual = 'deny';
      return outcome;
    }
    rejection = {
      code: 500,
      reason: '',
      message: `${run.error} (the sandbox's cap of ${limit.limitMs} ms; the policy's own limit is ${runLimit(policy).limitMs} ms, in a cluster the script may still finish)`,
    };
  }

  if (rejection) {
    outcome.violation = violationOf(policy, request, rejection);
    if (type === 'Controller') {
      // A controller has nothing to reject: deny and errors are recorded as violations only.
      outcome.code = rejection.code;
      outcome.reason = rejection.reason;
      outcome.message = rejection.message;
    } else if (violation === 'Warn') {
      outcome.warnings = [...outcome.warnings, `[${name}]: ${rejection.message}`];
      outcome.code = rejection.code;
      outcome.message = rejection.message;
    } else if (violation === 'Dry') {
      outcome.code = rejection.code;
      outcome.message = rejection.message;
    } else {
      outcome.allowed = false;
      outcome.code = rejection.code;
      if (rejection.reason) outcome.reason = rejection.reason;
      outcome.message = rejection.message;
    }
  }
  if (violation === 'Dry' && outcome.patch) {
    delete outcome.patch;
    delete outcome.patchedObject;
  }
  outcome.actual = actualOf(outcome, type === 'Controller' && rejection !== undefined);
  return outcome;
}

/** What jsPolicy writes to JsPolicyViolations for a rejection (pkg/webhook/audit.go 53-59, 95-129); none under auditPolicy Skip. */
function violationOf(
  policy: JsPolicy,
  request: AdmissionRequest | ControllerRequest | undefined,
  rejection: { code: number; reason: string; message: string },
): ViolationRecord | undefined {
  if (policy.spec.auditPolicy === 'Skip' || !request) return undefined;
  const action = policy.spec.type === 'Controller' ? 'Controller' : (policy.spec.violationPolicy ?? 'Deny');
  const bytes = Buffer.from(rejection.message, 'utf8');
  const message = bytes.length > 256 ? `${bytes.subarray(0, 253).toString('utf8')}...` : rejection.message;
  const kind = request.kind;
  const userInfo = 'userInfo' in request ? (request.userInfo as { username?: string; uid?: string }) : {};
  return {
    action,
    code: rejection.code,
    reason: rejection.reason,
    message,
    requestInfo: {
      kind: kind.kind,
      apiVersion: kind.group ? `${kind.group}/${kind.version}` : kind.version,
      ...(request.namespace ? { namespace: request.namespace } : {}),
      ...(request.name ? { name: request.name } : {}),
      operation: request.operation,
    },
    userInfo: {
      ...(userInfo.username ? { username: userInfo.username } : {}),
      ...(userInfo.uid ? { uid: userInfo.uid } : {}),
    },
  };
}

function actualOf(o: CaseOutcome, controllerViolation: boolean): Expectation {
  if (!o.allowed || controllerViolation) return 'deny';
  if (o.patch && o.patch.length) return 'mutate';
  if (o.warnings.length) return 'warn';
  return 'allow';
}

/** The outcome of a request the policy's rules do not select: admitted untouched. */
export function unmatchedOutcome(why: string): CaseOutcome {
  return {
    matched: false,
    allowed: true,
    actual: 'allow',
    message: `not selected: ${why}`,
    warnings: [],
    printed: [],
    calls: [],
    durationMs: 0,
  };
}

/** Checks an outcome against the case's expectation (README "What each outcome means"). */
export function judge(testCase: TestCase, outcome: CaseOutcome): CaseResult {
  const expected = testCase.expect;
  const fail = (failure: string): CaseResult => ({ name: testCase.name, expected, passed: false, failure, outcome });
  const got = describeActual(outcome);
  if (outcome.actual !== expected) return fail(`expected ${expected}, got ${got}`);
  const needle = testCase.message?.toLowerCase();
  if (needle !== undefined) {
    if (expected === 'deny' && !(outcome.message ?? '').toLowerCase().includes(needle)) {
      return fail(`expected a deny message containing "${testCase.message}", got "${outcome.message ?? ''}"`);
    }
    if (expected === 'warn' && !outcome.warnings.some((w) => w.toLowerCase().includes(needle))) {
      return fail(`expected a warning containing "${testCase.message}", got ${JSON.stringify(outcome.warnings)}`);
    }
    if (expected === 'mutate' && !outcome.warnings.some((w) => w.toLowerCase().includes(needle))) {
      return fail(`expected a warning containing "${testCase.message}", got ${JSON.stringify(outcome.warnings)}`);
    }
  }
  if (expected === 'mutate' && testCase.patched !== undefined) {
    const diff = subsetDifference(testCase.patched, outcome.patchedObject, '');
    if (diff) return fail(`the patched object differs at ${diff}`);
  }
  return { name: testCase.name, expected, passed: true, outcome };
}

function describeActual(o: CaseOutcome): string {
  if (!o.matched) return `allow (${o.message})`;
  switch (o.actual) {
    case 'deny':
      return `deny (${o.code ?? ''}${o.message ? `: ${o.message}` : ''})`;
    case 'warn':
      return `warn (${o.warnings.join('; ')})`;
    case 'mutate':
      return `mutate (${o.patch?.length ?? 0} patch operation(s))`;
    default:
      return o.error ? `allow (${o.error})` : 'allow';
  }
}

/**
 * Where `actual` fails to contain `expected`, or undefined when it does. Objects compare as subsets,
 * lists element by element (same length), everything else by equality.
 */
export function subsetDifference(expected: unknown, actual: unknown, path: string): string | undefined {
  const here = path || '/';
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${here} (expected a list, got ${short(actual)})`;
    if (actual.length !== expected.length)
      return `${here} (expected ${expected.length} element(s), got ${actual.length})`;
    for (let i = 0; i < expected.length; i++) {
      const d = subsetDifference(expected[i], actual[i], `${path}/${i}`);
      if (d) return d;
    }
    return undefined;
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual))
      return `${here} (expected an object, got ${short(actual)})`;
    for (const [k, v] of Object.entries(expected)) {
      const d = subsetDifference(
        v,
        (actual as Record<string, unknown>)[k],
        `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`,
      );
      if (d) return d;
    }
    return undefined;
  }
  return expected === actual ? undefined : `${here} (expected ${short(expected)}, got ${short(actual)})`;
}

function short(v: unknown): string {
  const s = v === undefined ? 'nothing' : JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}…` : s;
}
