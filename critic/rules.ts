import type { ApiCatalog, ApiResource } from '../catalog/index.js';
import type { Intent, JsPolicySpec, Operation, Plan } from '../common/index.js';
import { namespaceExclusionsFromIntent, namespacesFromIntent } from './namespaces.js';

/** One entry of spec.resources split into its resource and subresource parts. */
export interface ResourceRule {
  raw: string;
  plural: string;
  subresource?: string;
}

export function resourceRules(spec: Pick<JsPolicySpec, 'resources'>): ResourceRule[] {
  return (Array.isArray(spec.resources) ? spec.resources : []).map((raw) => {
    const [plural, subresource] = String(raw).split('/');
    return subresource === undefined ? { raw, plural } : { raw, plural, subresource };
  });
}

/** apiGroups as the webhook applies them (unset means `*`). */
export function effectiveGroups(spec: Pick<JsPolicySpec, 'apiGroups'>): string[] {
  return spec.apiGroups?.length ? spec.apiGroups : ['*'];
}

/** The catalog resources the match rules can deliver (main resources; subresources noted on the rule). */
export function matchedResources(spec: JsPolicySpec, catalog: ApiCatalog): ApiResource[] {
  const groups = effectiveGroups(spec);
  const versions = spec.apiVersions?.length ? spec.apiVersions : ['*'];
  const rules = resourceRules(spec);
  return catalog
    .all()
    .filter(
      (r) =>
        (groups.includes('*') || groups.includes(r.group)) &&
        (versions.includes('*') || r.versions.some((v) => versions.includes(v))) &&
        rules.some((rule) => rule.plural === '*' || rule.plural === r.plural) &&
        (spec.scope === undefined || spec.scope === '*' || (spec.scope === 'Namespaced') === r.namespaced),
    );
}

/** `''` is shown as `"" (core)` so a fix is unambiguous. */
export function showGroup(group: string): string {
  return group === '' ? '"" (core)' : group;
}

/** Operations expanded from `*`. */
export function effectiveOperations(spec: Pick<JsPolicySpec, 'operations'>): Operation[] {
  const ops = Array.isArray(spec.operations) ? spec.operations : [];
  if (ops.includes('*')) return ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];
  return ops.filter((o): o is Operation => ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'].includes(o));
}

/**
 * The operations an intent needs: the plan's when there is one, else CREATE and UPDATE plus DELETE or
 * CONNECT when the text speaks of deleting or of exec/attach/port-forward. Undefined when neither is known.
 */
export function neededOperations(plan?: Plan, intent?: Intent): Operation[] | undefined {
  if (plan?.target.operations?.length)
    return plan.target.operations.includes('*' as Operation) ? undefined : plan.target.operations;
  if (!intent) return undefined;
  const ops: Operation[] = ['CREATE', 'UPDATE'];
  if (/\b(delet|remov|destroy)/i.test(intent.text)) ops.push('DELETE');
  if (/\b(exec|attach|port-?forward|connect|proxy)/i.test(intent.text)) ops.push('CONNECT');
  return ops;
}

/**
 * The namespaces the policy must leave out: from a final reading (the offline reader read them from the
 * operative statement alone), else from the intent's text ("every namespace except the 'legacy' namespace").
 */
export function excludedNamespaces(plan?: Plan, intent?: Intent): string[] {
  if (plan?.target.namespacesFinal) return [...new Set(plan.target.excludedNamespaces ?? [])];
  return intent ? namespaceExclusionsFromIntent(intent.text) : [];
}

/** The namespaces the policy is meant for: the plan's, else those the intent names. Empty = cluster-wide. */
export function intendedNamespaces(plan?: Plan, intent?: Intent): string[] {
  if (plan?.target.namespaces?.length) return plan.target.namespaces;
  // A reader that kept the rationale apart said "cluster-wide": reading the intent's whole text again would pick
  // up namespaces its rationale mentions ("Pods in the default namespace are hard to manage. This policy
  // ensures …") and scope the rule to them.
  if (plan?.target.namespacesFinal) return [...new Set(intent?.options?.namespaces ?? [])];
  const names = new Set<string>([
    ...(intent ? namespacesFromIntent(intent.text) : []),
    ...(intent?.options?.namespaces ?? []),
  ]);
  return [...names];
}
