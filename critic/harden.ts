import { builtinCatalog, type ApiCatalog } from '../catalog/index.js';
import {
  MODE_TO_VIOLATION_POLICY,
  type Intent,
  type JsPolicy,
  type LabelSelector,
  type Operation,
  type Plan,
} from '../common/index.js';
import { SAFE_TIMEOUT_SECONDS } from './lint.js';
import { NAMESPACE_NAME_LABEL, selectedNames, selectorMaySelect, SYSTEM_NAMESPACES } from './namespaces.js';
import {
  effectiveGroups,
  excludedNamespaces,
  intendedNamespaces,
  matchedResources,
  neededOperations,
  resourceRules,
} from './rules.js';

const RISKY_SUBRESOURCES = ['status', 'binding', 'eviction'];

/**
 * Applies the safety defaults of docs/design.md to any draft, so the loop never depends on the model
 * remembering them: namespaceSelector by kubernetes.io/metadata.name (In the intended namespaces, else
 * NotIn the system ones), failurePolicy Ignore unless the intent opts in to Fail, a short timeout, only the
 * operations the intent needs, no status/binding/eviction subresources unless asked, explicit apiGroups,
 * violationPolicy from the intent's mode, and a DELETE rule never stops the namespace controller or the garbage
 * collector (CONTROLLER_DELETERS). It only ever narrows what is matched or denied, never widens it, so inside the
 * intended scope the policy decides exactly as before for every other requester. Returns a new object; the draft is untouched.
 */
export function harden(
  policy: JsPolicy,
  plan?: Plan,
  intent?: Intent,
  catalog: ApiCatalog = builtinCatalog(),
): JsPolicy {
  const hardened = structuredClone(policy);
  const spec = hardened.spec;
  if (!spec || typeof spec !== 'object') return hardened;
  const type = spec.type ?? 'Validating';

  if (type !== 'Controller') {
    spec.failurePolicy = intent?.options?.failurePolicy === 'Fail' ? 'Fail' : 'Ignore';
    spec.timeoutSeconds = Math.min(
      typeof spec.timeoutSeconds === 'number' && spec.timeoutSeconds >= 1 ? spec.timeoutSeconds : SAFE_TIMEOUT_SECONDS,
      SAFE_TIMEOUT_SECONDS,
    );
    spec.operations = minimalOperations(spec.operations, plan, intent);
  }
  if (
    type === 'Validating' &&
    typeof spec.javascript === 'string' &&
    (spec.operations ?? []).some((o) => o === 'DELETE' || o === '*')
  )
    spec.javascript = withControllerDeletes(spec.javascript);
  const mode = intent?.options?.mode;
  if (mode) spec.violationPolicy = MODE_TO_VIOLATION_POLICY[mode];

  spec.resources = minimalResources(spec.resources, plan, intent);
  const groups = explicitGroups(hardened, plan, catalog);
  if (groups) spec.apiGroups = groups;

  const rules = resourceRules(spec);
  const matched = matchedResources(spec, catalog);
  const selectorApplies =
    rules.some((r) => r.plural === '*' || catalog.byPlural(r.plural).length === 0) ||
    matched.some((r) => r.namespaced || (r.group === '' && r.plural === 'namespaces'));
  if (selectorApplies)
    spec.namespaceSelector = scopedSelector(
      spec.namespaceSelector,
      intendedNamespaces(plan, intent),
      excludedNamespaces(plan, intent),
    );
  return hardened;
}

/**
 * The cluster's own deleters: the namespace controller empties a Namespace being deleted (every object in it, the
 * kube-root-ca.crt ConfigMap included) and the garbage collector removes dependents of a deleted owner. A DELETE ban
 * that stops them leaves every Namespace stuck Terminating and orphans pile up, far beyond what any intent meant.
 */
const CONTROLLER_DELETERS = [
  'system:serviceaccount:kube-system:namespace-controller',
  'system:serviceaccount:kube-system:generic-garbage-collector',
] as const;
const CONTROLLER_DELETES_MARK =
  "// policyforge: the cluster's own deletes (namespace teardown, garbage collection) are never denied";

function withControllerDeletes(javascript: string): string {
  if (javascript.includes(CONTROLLER_DELETES_MARK)) return javascript;
  return `${CONTROLLER_DELETES_MARK}
if (request.operation === 'DELETE' && request.userInfo && ${JSON.stringify(CONTROLLER_DELETERS)}.indexOf(request.userInfo.username) >= 0) {
  allow();
}
${javascript}`;
}

function minimalOperations(operations: string[] | undefined, plan?: Plan, intent?: Intent): string[] {
  const ops = Array.isArray(operations) ? operations : [];
  const needed = neededOperations(plan, intent);
  if (!needed) return ops;
  if (ops.includes('*')) return [...needed];
  // The plan is authoritative; an intent-only guess drops DELETE and CONNECT it does not speak of.
  const kept = plan?.target.operations?.length
    ? ops.filter((op) => needed.includes(op as Operation))
    : ops.filter((op) => op === 'CREATE' || op === 'UPDATE' || needed.includes(op as Operation));
  return kept.length ? kept : ops;
}

function minimalResources(resources: string[] | undefined, plan?: Plan, intent?: Intent): string[] {
  const list = Array.isArray(resources) ? resources : [];
  const planned = plan?.target.resources ?? [];
  const asked = (sub: string): boolean =>
    planned.some((r) => r.endsWith(`/${sub}`) || r.endsWith('/*')) ||
    new RegExp(`\\b${sub}`, 'i').test(intent?.text ?? '');
  const out: string[] = [];
  for (const raw of list) {
    const [plural, sub] = raw.split('/');
    if (plural === '*' && planned.length && !planned.includes('*')) {
      out.push(...planned);
      continue;
    }
    if (sub && RISKY_SUBRESOURCES.includes(sub) && !asked(sub)) continue;
    if (sub === '*' && !RISKY_SUBRESOURCES.some(asked) && !planned.includes(raw)) {
      out.push(plural);
      continue;
    }
    out.push(raw);
  }
  const unique = [...new Set(out)];
  return unique.length ? unique : list;
}

/** apiGroups for the listed plurals when the draft leaves them at `*`: the plan's, else the built-in group. */
function explicitGroups(policy: JsPolicy, plan: Plan | undefined, catalog: ApiCatalog): string[] | undefined {
  const spec = policy.spec;
  if (!effectiveGroups(spec).includes('*')) return undefined;
  const rules = resourceRules(spec);
  if (rules.some((r) => r.plural === '*')) return undefined;
  const planned = plan?.target.apiGroups ?? [];
  if (planned.length && !planned.includes('*')) return [...planned];
  const groups = new Set<string>();
  for (const rule of rules) {
    const candidates = catalog.byPlural(rule.plural).filter((c) => c.group !== 'metrics.k8s.io');
    if (!candidates.length) return undefined;
    const builtin = candidates.filter((c) => c.source === 'builtin');
    for (const c of builtin.length ? builtin : candidates) groups.add(c.group);
  }
  return [...groups];
}

/**
 * The draft's selector, ANDed with `kubernetes.io/metadata.name In [intended]` (or NotIn the system
 * namespaces for a cluster-wide intent). Selecting by name works even for namespaces without labels.
 */
export function scopedSelector(
  selector: LabelSelector | undefined,
  intended: readonly string[],
  excluded: readonly string[] = [],
): LabelSelector {
  const out: LabelSelector = structuredClone(selector ?? {});
  const banned = [
    ...SYSTEM_NAMESPACES,
    ...excluded.filter((n) => !(SYSTEM_NAMESPACES as readonly string[]).includes(n)),
  ];
  const wanted = intended.filter((n) => !banned.includes(n));
  const expressions = [...(out.matchExpressions ?? [])];
  if (wanted.length) {
    const names = selectedNames(out);
    if (!names || names.some((n) => !wanted.includes(n))) {
      // A matchLabels entry on the name label that the In list covers would be redundant: fold it in.
      if (
        out.matchLabels?.[NAMESPACE_NAME_LABEL] !== undefined &&
        wanted.includes(out.matchLabels[NAMESPACE_NAME_LABEL])
      ) {
        const { [NAMESPACE_NAME_LABEL]: _folded, ...rest } = out.matchLabels;
        out.matchLabels = rest;
        if (!Object.keys(rest).length) delete out.matchLabels;
      }
      expressions.push({ key: NAMESPACE_NAME_LABEL, operator: 'In', values: [...wanted] });
    }
  }
  const probe: LabelSelector = { ...out, matchExpressions: expressions };
  const reachable = banned.filter((n) => selectorMaySelect(probe, n));
  if (reachable.length) {
    const existing = expressions.find((e) => e.key === NAMESPACE_NAME_LABEL && e.operator === 'NotIn');
    if (existing) existing.values = [...new Set([...(existing.values ?? []), ...banned])];
    else expressions.push({ key: NAMESPACE_NAME_LABEL, operator: 'NotIn', values: banned });
  }
  if (expressions.length) out.matchExpressions = expressions;
  return out;
}
