import { builtinCatalog, type ApiCatalog } from '../catalog/index.js';
import { NAMESPACE_NAME_LABEL, type JsPolicySpec, type KubeObject, type LabelSelector } from '../common/index.js';
import { isControllerRequest, pluralise, type AdmissionRequest, type ControllerRequest } from './admission.js';

/** The label every namespace carries (set by the API server), which selectors can match by name. */
export { NAMESPACE_NAME_LABEL };

export interface MatchOptions {
  /** Skip namespaceSelector and objectSelector (scope experiments run the script regardless). @defaultValue false */
  ignoreSelectors?: boolean;
  /** Used to tell namespaced from cluster-scoped resources. @defaultValue builtinCatalog() */
  catalog?: ApiCatalog;
}

/** Kubernetes label selector semantics: every matchLabels pair and every expression must hold. */
export function selectorMatches(
  selector: LabelSelector | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!selector) return true;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || !values.includes(l[e.key])) return false;
        break;
      case 'NotIn':
        if (has && values.includes(l[e.key])) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** One `resources` rule entry against a resource/subresource, as admissionregistration/v1 matches it. */
function resourceRuleMatches(rule: string, plural: string, subResource: string): boolean {
  const slash = rule.indexOf('/');
  const res = slash < 0 ? rule : rule.slice(0, slash);
  const sub = slash < 0 ? '' : rule.slice(slash + 1);
  if (res !== '*' && res !== plural) return false;
  if (slash < 0) return subResource === '';
  return sub === '*' || sub === subResource;
}

function listMatches(list: string[] | undefined, value: string): boolean {
  const l = list ?? ['*'];
  return l.includes('*') || l.includes(value);
}

/**
 * Why the webhook rules do NOT select this request, or undefined when they do. Checks, in the API
 * server's order: operation, resource/subresource, group, version, scope, namespaceSelector,
 * objectSelector (either old or new object's labels may match on UPDATE; oldObject's on DELETE).
 */
export function explainMismatch(
  spec: JsPolicySpec,
  request: AdmissionRequest | ControllerRequest,
  namespaceLabels: Record<string, string> = {},
  options: MatchOptions = {},
): string | undefined {
  const catalog = options.catalog ?? builtinCatalog();
  const controller = isControllerRequest(request);
  const { group, version } = request.kind;
  const plural = controller
    ? (catalog.byKind(group ? `${group}/${version}` : version, request.kind.kind)?.plural ??
      pluralise(request.kind.kind))
    : request.resource.resource;
  const resGroup = controller ? group : request.resource.group;
  const resVersion = controller ? version : request.resource.version;
  const subResource = controller ? '' : (request.subResource ?? '');
  const operations = spec.operations ?? [];
  if (!operations.includes('*') && !operations.includes(request.operation))
    return `operation ${request.operation} is not in spec.operations`;
  const resLabel = subResource ? `${plural}/${subResource}` : plural;
  if (!(spec.resources ?? []).some((r) => resourceRuleMatches(r, plural, subResource)))
    return `resource ${resLabel} is not in spec.resources`;
  if (!listMatches(spec.apiGroups, resGroup)) return `group "${resGroup}" is not in spec.apiGroups`;
  if (!listMatches(spec.apiVersions, resVersion)) return `version ${resVersion} is not in spec.apiVersions`;
  const isNamespace = resGroup === '' && plural === 'namespaces';
  const known = catalog.get(resGroup, plural);
  const namespaced = known ? known.namespaced : !isNamespace && request.namespace !== '';
  const scope = spec.scope ?? '*';
  if (scope === 'Cluster' && namespaced) return `${resLabel} is namespaced and spec.scope is Cluster`;
  if (scope === 'Namespaced' && !namespaced) return `${resLabel} is cluster-scoped and spec.scope is Namespaced`;
  if (options.ignoreSelectors) return undefined;
  const obj = request.object;
  const old = controller ? undefined : request.oldObject;
  if (spec.namespaceSelector) {
    if (isNamespace) {
      // For the namespaces resource the selector is matched against the namespace object itself.
      const ns = obj ?? old;
      const labels = { ...(ns?.metadata?.labels ?? {}), [NAMESPACE_NAME_LABEL]: ns?.metadata?.name ?? request.name };
      if (!selectorMatches(spec.namespaceSelector, labels))
        return `namespace ${request.name} does not match spec.namespaceSelector`;
    } else if (namespaced) {
      const labels = { [NAMESPACE_NAME_LABEL]: request.namespace, ...namespaceLabels };
      if (!selectorMatches(spec.namespaceSelector, labels))
        return `namespace "${request.namespace}" does not match spec.namespaceSelector`;
    }
  }
  if (spec.objectSelector) {
    const candidates = [obj, old].filter((o): o is KubeObject => Boolean(o));
    const any =
      candidates.length === 0
        ? selectorMatches(spec.objectSelector, {})
        : candidates.some((o) => selectorMatches(spec.objectSelector, o.metadata?.labels));
    if (!any) return 'the object labels do not match spec.objectSelector';
  }
  return undefined;
}

/** Does the JsPolicy's webhook (or controller) select this request? */
export function matchesPolicy(
  spec: JsPolicySpec,
  request: AdmissionRequest | ControllerRequest,
  namespaceLabels: Record<string, string> = {},
  options: MatchOptions = {},
): boolean {
  return explainMismatch(spec, request, namespaceLabels, options) === undefined;
}
