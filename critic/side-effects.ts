import type { DeclaredSideEffect, Finding, Intent, Plan, SideEffectFn } from '../common/index.js';
import { SYSTEM_NAMESPACES } from './namespaces.js';

/**
 * What a policy may do beyond deciding the request, judged from its BEHAVIOUR: every call the sandbox
 * recorded in any case, scope probe or fuzz run is checked against the side effects the plan declares.
 *
 * - get/list are read-only lookups answered under jsPolicy's RBAC: allowed without a declaration, never recorded.
 * - Everything else (create, update, remove, fetchSync, readFileSync, env, requeue) must be declared in
 *   `plan.sideEffects`; anything undeclared is blocking, naming the call, the case and its arguments.
 * - A plan may declare a side effect only where the intent asks for it (a verb in the intent, see INTENT_ASKS),
 *   writes only in Controller policies and only for named kinds, and never on the targets in
 *   FORBIDDEN_KINDS, on system namespaces, nor the deletion of a namespace: such a plan is blocked. Whatever
 *   is declared, the code never writes those, never fetches from the API server, loopback or metadata
 *   services (FORBIDDEN_HOSTS), never reads the pod's credentials (FORBIDDEN_FILES).
 * - A deletion (remove) needs the operator's or the user's explicit `intent.options.allowDeletes`, whatever
 *   the approval mode: violationPolicy Dry does not stop a Controller's side effects.
 */

/** A recorded call, with the case (or probe) it first happened in. */
export interface ObservedCall {
  case: string;
  fn: string;
  args: unknown[];
  /** Runs (cases, probes, fuzz variants) that made the same call. @defaultValue 1 */
  runs?: number;
}

/** Distinct calls kept per verify(); beyond it the record says it was cut, which blocks. @defaultValue 1000 */
export const MAX_DISTINCT_CALLS = 1000;

/**
 * The calls of every run of one verify(), one entry per distinct call (fn and target, or fn and arguments)
 * with the number of runs that made it: hundreds of fuzz variants repeating a call cost one entry.
 */
export class CallRecord {
  private readonly byKey = new Map<string, ObservedCall>();
  private cut = false;

  add(caseName: string, call: { fn: string; args: unknown[] }): void {
    const key = callKey(call.fn, call.args);
    const had = this.byKey.get(key);
    if (had) {
      had.runs = (had.runs ?? 1) + 1;
    } else if (this.byKey.size < MAX_DISTINCT_CALLS) {
      this.byKey.set(key, { case: caseName, fn: call.fn, args: call.args, runs: 1 });
    } else if (!this.cut) {
      this.cut = true;
      this.byKey.set('calls-truncated', { case: caseName, fn: 'calls-truncated', args: [MAX_DISTINCT_CALLS], runs: 1 });
    }
  }

  calls(): ObservedCall[] {
    return [...this.byKey.values()];
  }
}

function callKey(fn: string, args: unknown[]): string {
  const target = isWrite(fn) ? targetOf(args[0]) : undefined;
  return `${fn}|${target ? `${target.kind}|${target.namespace}|${target.name}` : JSON.stringify(args).slice(0, 300)}`;
}

/** Host functions that write to the cluster. */
const WRITES = ['create', 'update', 'remove'] as const;
/** Read-only lookups: allowed without a declaration. */
const READS: readonly string[] = ['get', 'list'];

/** Kinds no generated policy may write, whatever the plan or the intent says (lower-case kind and plural). */
const FORBIDDEN: ReadonlyArray<[string[], string]> = [
  [
    [
      'validatingwebhookconfiguration',
      'validatingwebhookconfigurations',
      'mutatingwebhookconfiguration',
      'mutatingwebhookconfigurations',
      'validatingadmissionpolicy',
      'validatingadmissionpolicies',
      'validatingadmissionpolicybinding',
      'validatingadmissionpolicybindings',
    ],
    'admission webhooks and policies guard the cluster',
  ],
  [
    ['jspolicy', 'jspolicies', 'jspolicybundle', 'jspolicybundles', 'jspolicyviolations'],
    'a policy must not change jsPolicy’s own policies',
  ],
  [['gptpolicy', 'gptpolicies'], 'GPTPolicies own the generated JsPolicies'],
  [
    [
      'role',
      'roles',
      'rolebinding',
      'rolebindings',
      'clusterrole',
      'clusterroles',
      'clusterrolebinding',
      'clusterrolebindings',
    ],
    'RBAC decides who may do what: a policy that writes it can grant itself anything',
  ],
  [['lease', 'leases'], 'node heartbeats and leader election live in leases'],
  [['customresourcedefinition', 'customresourcedefinitions'], 'deleting a CRD deletes every object of its kind'],
];
const FORBIDDEN_KINDS = new Map(FORBIDDEN.flatMap(([names, why]) => names.map((n) => [n, why] as const)));

/**
 * The simple, documented test of "the intent asks for it": a verb for the declared function in the intent's
 * text. It decides whether a declaration may exist at all; what it may touch is decided by the lists above.
 */
const INTENT_ASKS: Readonly<Record<Exclude<SideEffectFn, 'get' | 'list' | 'requeue'>, RegExp>> = {
  create:
    /\b(create[sd]?|creating|add(s|ed|ing)?|generat(e|es|ed|ing)|cop(y|ies|ied|ying)|provision(s|ed|ing)?|clon(e|es|ed|ing)|sync(s|ed|ing)?|mak(e|es|ing))\b/i,
  update:
    /\b(updat(e|es|ed|ing)|patch(es|ed|ing)?|annotat(e|es|ed|ing)|relabel(s|led|ling)?|modif(y|ies|ied|ying)|sync(s|ed|ing)?|add(s|ed|ing)? (an? |the )?(label|annotation)s?)\b/i,
  remove:
    /\b(delet(e|es|ed|ing)|remov(e|es|ed|ing)|clean(s|ed|ing)? ?up|garbage|prun(e|es|ed|ing)|purg(e|es|ed|ing)|destroy(s|ed|ing)?|evict(s|ed|ing)?)\b/i,
  fetchSync:
    /(https?:\/\/|\burls?\b|\bendpoints?\b|\bfetch(es|ed|ing)?\b|\bhttp\b|\bexternal (service|api|system)s?\b)/i,
  readFileSync: /\bfiles?\b/i,
  env: /\b(environment variables?|env vars?)\b/i,
};

export function isWrite(fn: string): fn is (typeof WRITES)[number] {
  return (WRITES as readonly string[]).includes(fn);
}

/** Checks the plan's declarations themselves: blocked when the intent does not ask, or the target is forbidden. */
export function declaredSideEffectFindings(plan: Plan, intent: Intent | undefined): Finding[] {
  const findings: Finding[] = [];
  const declared = plan.sideEffects ?? [];
  const type = plan.target.type;
  const text = intent?.text ?? '';
  for (const d of declared) {
    if (READS.includes(d.fn)) continue;
    const label = `the plan declares ${d.fn}${d.kinds?.length ? ` on ${d.kinds.join(', ')}` : ''}`;
    if ((isWrite(d.fn) || d.fn === 'fetchSync') && type !== 'Controller') {
      findings.push({
        rule: 'plan/side-effect-in-webhook',
        severity: 'blocking',
        message: `${label} in a ${type} policy: it would run on every admission (dry runs and retries included)`,
        fix: 'decide from the request alone; side effects belong to Controller policies the intent asks for',
      });
    }
    if (isWrite(d.fn) && !d.kinds?.length) {
      findings.push({
        rule: 'plan/side-effect-unscoped',
        severity: 'blocking',
        message: `${label} without naming the kinds it writes`,
        fix: `list the kinds ${d.fn}() may touch in sideEffects[].kinds`,
      });
    }
    for (const kind of d.kinds ?? []) {
      const why = forbiddenKind(d.fn, kind);
      if (why)
        findings.push({
          rule: 'plan/side-effect-forbidden',
          severity: 'blocking',
          message: `${label}: ${d.fn}() on ${kind} is never allowed (${why})`,
          fix: `remove the ${d.fn} declaration: no generated policy may ${d.fn} ${kind}`,
        });
    }
    if (isWrite(d.fn)) {
      // The plan's namespaces, or a system namespace its own reason names ("delete the namespace kube-system").
      const named = SYSTEM_NAMESPACES.filter((n) => new RegExp(`(^|[^-a-z0-9])${n}($|[^-a-z0-9])`).test(d.reason));
      const system = [
        ...new Set([
          ...(plan.target.namespaces ?? []).filter((n) => (SYSTEM_NAMESPACES as readonly string[]).includes(n)),
          ...named,
        ]),
      ];
      if (system.length)
        findings.push({
          rule: 'plan/side-effect-forbidden',
          severity: 'blocking',
          message: `${label} in ${system.join(', ')}: a policy never writes in system namespaces`,
          fix: `drop ${system.join(', ')} from the plan's namespaces`,
        });
    }
    const asks = d.fn === 'requeue' ? true : (INTENT_ASKS[d.fn as keyof typeof INTENT_ASKS]?.test(text) ?? false);
    if (!asks) {
      findings.push({
        rule: 'plan/side-effect-not-asked',
        severity: 'blocking',
        message: `${label}, but the intent does not ask for it (no verb for ${d.fn} in the intent's text)`,
        fix: `remove the ${d.fn} declaration and the code that calls ${d.fn}()`,
      });
    }
  }
  if (declared.some((d) => d.fn === 'remove') && intent?.options?.allowDeletes !== true)
    findings.push(deleteNeedsApproval('the plan declares remove()'));
  return findings;
}

/** Checks every recorded call against the declarations: undeclared or forbidden side effects are blocking. */
export function observedSideEffectFindings(
  calls: readonly ObservedCall[],
  plan: Plan,
  intent: Intent | undefined,
): Finding[] {
  const declared = plan.sideEffects ?? [];
  const byKey = new Map<string, { call: ObservedCall; rule: string; why: string; runs: number }>();
  let deletes: ObservedCall | undefined;
  for (const call of calls) {
    if (READS.includes(call.fn)) continue;
    const target = isWrite(call.fn) ? targetOf(call.args[0]) : undefined;
    if (call.fn === 'remove') deletes ??= call;
    let rule = '';
    let why = '';
    const forbidden = target ? forbiddenTarget(call.fn, target) : forbiddenRead(call.fn, call.args[0]);
    if (forbidden) [rule, why] = ['behaviour/forbidden-side-effect', forbidden];
    if (!rule && !isDeclared(declared, call.fn, target?.kind)) {
      [rule, why] = [
        'behaviour/undeclared-side-effect',
        call.fn === 'calls-truncated'
          ? 'more calls were made than the sandbox or verify() keep, so the rest of what the policy did is unknown'
          : isWrite(call.fn) && !target
            ? 'what it writes could not be read from the record'
            : `the plan does not declare ${call.fn}${target?.kind ? ` on ${target.kind}` : ''}`,
      ];
    }
    if (!rule) continue;
    const key = `${rule}|${callKey(call.fn, call.args)}`;
    const had = byKey.get(key);
    if (had) had.runs += call.runs ?? 1;
    else byKey.set(key, { call, rule, why, runs: call.runs ?? 1 });
  }
  const findings: Finding[] = [...byKey.values()].map(({ call, rule, why, runs }) => ({
    rule,
    severity: 'blocking' as const,
    message: `${call.fn}(${showArgs(call.args)}) in case "${call.case}"${runs > 1 ? ` and ${runs - 1} other run(s)` : ''}: ${why}`,
    fix:
      rule === 'behaviour/forbidden-side-effect'
        ? `remove the ${call.fn}() call: no generated policy may do this`
        : `remove the ${call.fn}() call, or plan it as a side effect the intent asks for (plan.sideEffects)`,
    path: 'spec.javascript',
  }));
  if (deletes && intent?.options?.allowDeletes !== true)
    findings.push(deleteNeedsApproval(`the code called remove(${showArgs(deletes.args)}) in case "${deletes.case}"`));
  return findings;
}

/** Whether the plan declares `fn` (on `kind`, for writes). */
export function isDeclared(declared: readonly DeclaredSideEffect[], fn: string, kind?: string): boolean {
  return declared.some(
    (d) => d.fn === fn && (!isWrite(fn) || (kind !== undefined && (d.kinds ?? []).some((k) => sameKind(k, kind)))),
  );
}

function deleteNeedsApproval(what: string): Finding {
  return {
    rule: 'safety/delete-needs-approval',
    severity: 'blocking',
    message: `${what}: a policy that deletes objects needs the operator's or the user's explicit approval (intent option allowDeletes), whatever the approval mode`,
    fix: 'do not delete; or have the operator or the user set allowDeletes for this intent',
  };
}

interface Target {
  kind: string;
  name: string;
  namespace: string;
}

function targetOf(obj: unknown): Target | undefined {
  if (obj === null || typeof obj !== 'object') return undefined;
  const o = obj as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  return {
    kind: String(o.kind ?? ''),
    name: String(o.metadata?.name ?? ''),
    namespace: String(o.metadata?.namespace ?? ''),
  };
}

function forbiddenKind(fn: string, kind: string): string | undefined {
  const k = kind.toLowerCase();
  const why = FORBIDDEN_KINDS.get(k);
  if (why) return why;
  if (fn === 'remove' && (k === 'namespace' || k === 'namespaces'))
    return 'deleting a namespace deletes everything in it';
  return undefined;
}

function forbiddenTarget(fn: string, t: Target): string | undefined {
  const system = SYSTEM_NAMESPACES as readonly string[];
  const byKind = forbiddenKind(fn, t.kind);
  if (byKind) return `${fn}() on ${t.kind} is never allowed (${byKind})`;
  if (system.includes(t.namespace)) return `it writes in the system namespace ${t.namespace}`;
  if (t.kind.toLowerCase() === 'namespace' && system.includes(t.name))
    return `it writes the system namespace ${t.name}`;
  return undefined;
}

/** Hosts a fetchSync must never reach: the cluster's own API server, loopback, cloud metadata services. */
const FORBIDDEN_HOSTS =
  /^(kubernetes(\.default)?(\.svc)?(\.cluster\.local)?|localhost|127\.\d+\.\d+\.\d+|\[?::1\]?|0\.0\.0\.0|169\.254\.\d+\.\d+|metadata(\.google\.internal)?)$/i;
/** Files a policy must never read: the jsPolicy pod's credentials. */
const FORBIDDEN_FILES = /^\/(var\/)?run\/secrets\//;

/** fetchSync to the API server or a metadata service, readFileSync of credentials: never, whatever is declared. */
function forbiddenRead(fn: string, arg: unknown): string | undefined {
  if (typeof arg !== 'string') return undefined;
  if (fn === 'fetchSync') {
    const host = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)/i.exec(arg.trim())?.[1] ?? '';
    if (FORBIDDEN_HOSTS.test(host))
      return `it calls ${host}: the cluster's API server, a loopback address or a metadata service, with jsPolicy's identity`;
  }
  if (fn === 'readFileSync' && FORBIDDEN_FILES.test(arg.replace(/\/+/g, '/')))
    return "it reads the jsPolicy pod's credentials";
  return undefined;
}

function sameKind(declared: string, kind: string): boolean {
  const a = declared.toLowerCase();
  const b = kind.toLowerCase();
  return a === b || a === `${b}s` || a === `${b}es` || (b.endsWith('y') && a === `${b.slice(0, -1)}ies`);
}

function showArgs(args: unknown[]): string {
  const s = args.map((a) => (typeof a === 'string' ? JSON.stringify(a) : (JSON.stringify(a) ?? String(a)))).join(', ');
  return s.length > 160 ? `${s.slice(0, 157)}…` : s;
}
