import type { ApiCatalog } from '../catalog/index.js';
import {
  isPodControllerResource,
  NAMESPACE_NAME_LABEL,
  OPERATIONS,
  SYSTEM_NAMESPACES,
  type JsPolicy,
  type KubeObject,
  type Plan,
  type Restatement,
  type TestCase,
} from '../common/index.js';

/**
 * The understanding, shown (issue 11): what a plan's policy denies, allows, warns about, mutates and never
 * touches, rendered by our code from the target and the cases — the cases' names and how their objects
 * differ — and never from the intent text. A misreading (an inverted rule, a dropped condition, a deny
 * where a mutation was asked) shows up here in words a reviewer reads in ten seconds.
 */

export interface RestateInput {
  plan: Plan;
  /** The hardened policy, when there is one: its match rules, namespaceSelector and violationPolicy win over the plan's target. */
  policy?: JsPolicy;
  catalog?: ApiCatalog;
  /** An independent judge checked every planned verdict against the intent. */
  judged: boolean;
  /** One line on the judging (e.g. why there was none). */
  judgedNote?: string;
}

/** Paths that identify an object rather than describe it, or that are shown apart (kind, namespace). */
const IDENTITY =
  /^(apiVersion|kind|metadata\.(name|generateName|namespace|uid|resourceVersion|creationTimestamp|generation))$/;
/** At most this many differences are named per case, and this many cases per list. */
const MAX_FEATURES = 3;
const MAX_ITEMS = 8;
/** The annotation form: one line, short. */
export const RESTATEMENT_ANNOTATION = 'policyforge.dev/restatement';
const ANNOTATION_MAX = 480;

export function restate(input: RestateInput): Restatement {
  const { plan, policy, catalog } = input;
  const spec = policy?.spec;
  const resources = spec?.resources ?? plan.target.resources;
  const operations = (spec?.operations ?? plan.target.operations).filter((o) => o !== '*');
  const allOperations = (spec?.operations ?? plan.target.operations).includes('*');
  const type = spec?.type ?? plan.target.type;
  const scope = namespaceScope(plan, policy);
  const kinds = kindsPhrase(resources, spec?.apiGroups ?? plan.target.apiGroups, catalog);
  const cases = plan.tests.filter((c) => c.object ?? c.oldObject);
  const features = caseFeatures();
  const decided = cases.filter((c) => c.expect !== 'allow' && inScope(c, resources, scope));
  // An allowed DELETE says nothing about which UPDATEs are denied: only requests the policy acts on are compared.
  const actedOn = (c: TestCase): boolean => allOperations || operations.includes(c.operation ?? 'CREATE');
  const allowedInScope = cases.filter((c) => c.expect === 'allow' && actedOn(c) && inScope(c, resources, scope));
  // With no allowed case inside the scope (the scope is the rule: "no Pods in default"), the allowed cases of the
  // same kinds elsewhere show which features are only the sample's shape ("container name c0"), not the condition.
  const comparison = allowedInScope.length
    ? allowedInScope
    : cases.filter((c) => c.expect === 'allow' && actedOn(c) && kindMatches(c, resources));
  const common = noiseFeatures(
    cases.map(features),
    decided.map((c) => features(c)),
    comparison.map((c) => features(c)),
  );
  const deciding = decidingFeatures(
    decided.map((c) => features(c)),
    common,
  );

  const describe = (c: TestCase): string =>
    describeCase(
      c,
      features(c),
      common,
      deciding,
      c.expect === 'allow' ? [] : missingFeatures(c, allowedInScope, features),
    );
  const warnMode = spec?.violationPolicy === 'Warn';
  const byVerdict = (e: TestCase['expect']): string[] => cases.filter((c) => c.expect === e).map(describe);
  const denies = warnMode ? [] : byVerdict('deny');
  const warns = warnMode ? [...byVerdict('deny'), ...byVerdict('warn')] : byVerdict('warn');
  const mutates = cases.filter((c) => c.expect === 'mutate').map((c) => `${describe(c)}${patchPhrase(c)}`);
  const allows = byVerdict('allow');
  const neverTouches = neverTouched(cases, resources, operations, allOperations, scope, catalog);

  // A policy that calls warn() where it would deny (the offline families' "warn, do not block") warns as surely as
  // one whose violationPolicy is Warn: the sentence must not say it denies.
  const warnsOnly = warnMode || (warns.length > 0 && denies.length === 0);
  const verb =
    type === 'Mutating'
      ? 'Mutates'
      : type === 'Controller'
        ? 'Acts on'
        : warnsOnly
          ? 'Warns on'
          : spec?.violationPolicy === 'Dry'
            ? 'Audits (dry run, never blocks)'
            : 'Denies';
  const ops = allOperations ? 'every operation' : operations.join('/');
  const condition = deciding.length
    ? ` whose ${deciding.map(renderFeature).join(' and ')}`
    : decided.length && allowedInScope.length
      ? ` in the ${decided.length} way(s) listed under ${warnsOnly ? 'warns' : type === 'Mutating' ? 'mutates' : 'denies'}`
      : '';
  const allowed = allowPhrase(cases, resources, scope, deciding, features, kinds.short);
  const summary = `${verb} ${ops} of ${kinds.phrase} ${scope.phrase}${condition}${allowed ? `; allows ${allowed}` : ''}; never touches ${scope.never}.`;
  const judgedLine = input.judged
    ? `judged: every planned verdict was checked against the intent by an independent model judge${input.judgedNote ? ` (${input.judgedNote})` : ''}`
    : `judged: no — the reading was not independently checked${input.judgedNote ? ` (${input.judgedNote})` : ''}`;
  const lines = [
    summary,
    ...listLine('denies', denies),
    ...listLine('allows', allows),
    ...listLine('warns', warns),
    ...listLine('mutates', mutates),
    ...listLine('never touches', neverTouches),
    judgedLine,
  ];
  return { summary, denies, allows, warns, mutates, neverTouches, judged: input.judged, text: lines.join('\n') };
}

/** The restatement as a single-line annotation value: the sentence, clipped. */
export function restatementAnnotation(r: Restatement): string {
  const line = `${r.summary}${r.judged ? '' : ' (not independently judged)'}`.replace(/\s+/g, ' ').trim();
  return line.length <= ANNOTATION_MAX ? line : `${line.slice(0, ANNOTATION_MAX - 1)}…`;
}

/** The policy with the restatement annotation set (our code owns metadata). */
export function withRestatement(policy: JsPolicy, r: Restatement): JsPolicy {
  return {
    ...policy,
    metadata: {
      ...policy.metadata,
      annotations: { ...policy.metadata.annotations, [RESTATEMENT_ANNOTATION]: restatementAnnotation(r) },
    },
  };
}

function listLine(label: string, items: string[]): string[] {
  if (!items.length) return [];
  const shown = items.slice(0, MAX_ITEMS);
  return [
    `${label}: ${shown.join('; ')}${items.length > shown.length ? `; … ${items.length - shown.length} more` : ''}`,
  ];
}

// ---------------------------------------------------------------------------------------------------------
// Scope: kinds and namespaces

interface Scope {
  /** Namespaces selected (empty: every namespace not excluded). */
  included: string[];
  excluded: string[];
  clusterScoped: boolean;
  phrase: string;
  never: string;
}

function namespaceScope(plan: Plan, policy?: JsPolicy): Scope {
  const exprs = policy?.spec.namespaceSelector?.matchExpressions?.filter((e) => e.key === NAMESPACE_NAME_LABEL) ?? [];
  const fromSelector = exprs.filter((e) => e.operator === 'In').flatMap((e) => e.values ?? []);
  const included = fromSelector.length ? fromSelector : plan.target.namespaces;
  const excludedByPolicy = exprs.filter((e) => e.operator === 'NotIn').flatMap((e) => e.values ?? []);
  // The policy's own selector is the truth; a plan alone will be hardened to exclude the system namespaces.
  const excluded = policy
    ? excludedByPolicy
    : included.length
      ? []
      : [...new Set([...SYSTEM_NAMESPACES, ...(plan.target.excludedNamespaces ?? [])])];
  const clusterScoped = (policy?.spec.scope ?? plan.target.scope) === 'Cluster';
  if (clusterScoped)
    return { included: [], excluded, clusterScoped, phrase: '(cluster-scoped)', never: 'namespaced objects' };
  if (included.length) {
    const names = included.join(', ');
    return {
      included,
      excluded,
      clusterScoped,
      phrase: `in namespace${included.length > 1 ? 's' : ''} ${names}`,
      never: `other namespaces (system namespaces included)`,
    };
  }
  if (!excluded.length)
    return {
      included,
      excluded,
      clusterScoped,
      phrase: 'in every namespace, system namespaces included',
      never: 'no namespace',
    };
  // the intent's own exclusions ("… except in the ops namespace") are named apart: a reviewer checks them
  const system = excluded.filter((n) => (SYSTEM_NAMESPACES as readonly string[]).includes(n));
  const own = excluded.filter((n) => !system.includes(n));
  const ownNames = own.length ? `namespace${own.length > 1 ? 's' : ''} ${own.join(', ')}` : '';
  return {
    included,
    excluded,
    clusterScoped,
    phrase: `in every namespace but the system ones${own.length ? ` and ${ownNames}` : ''}`,
    never: `the system namespaces (${system.join(', ')})${own.length ? `; ${ownNames}` : ''}`,
  };
}

function kindsPhrase(
  resources: readonly string[],
  apiGroups: readonly string[] | undefined,
  catalog?: ApiCatalog,
): { phrase: string; short: string } {
  const named = resources.map((r) => ({ resource: r, kind: kindOf(r, apiGroups, catalog) }));
  if (resources.includes('*')) return { phrase: 'every kind', short: 'objects' };
  const pods = named.find((n) => n.resource === 'pods');
  const controllers = named.filter((n) => isPodControllerResource(n.resource));
  const others = named.filter((n) => n !== pods && !controllers.includes(n));
  const parts: string[] = [];
  if (pods && controllers.length)
    parts.push(`${plural(pods.kind)} (and the pod templates of ${controllers.map((c) => plural(c.kind)).join(', ')})`);
  else parts.push(...[pods, ...controllers].filter((n) => n !== undefined).map((n) => plural(n.kind)));
  // "pods/exec" is a request on a subresource (an exec), not on the Pod itself: say which.
  parts.push(
    ...others.map((n) => {
      const sub = n.resource.split('/')[1];
      return sub ? `${plural(n.kind)} (subresource ${sub})` : plural(n.kind);
    }),
  );
  return { phrase: parts.join(', '), short: plural(named[0]?.kind ?? 'objects') };
}

function kindOf(resource: string, apiGroups: readonly string[] | undefined, catalog?: ApiCatalog): string {
  const rows = catalog?.byPlural(resource.split('/')[0]) ?? [];
  const row = rows.find((r) => !apiGroups || apiGroups.includes('*') || apiGroups.includes(r.group)) ?? rows[0];
  const base = resource.split('/')[0];
  return row?.kind ?? base.charAt(0).toUpperCase() + base.slice(1).replace(/s$/, '');
}

function plural(kind: string): string {
  if (/[^aeiou]y$/.test(kind)) return `${kind.slice(0, -1)}ies`;
  if (/(s|x|ch|sh)$/.test(kind)) return `${kind}es`;
  return `${kind}s`;
}

function kindMatches(c: TestCase, resources: readonly string[]): boolean {
  if (resources.includes('*')) return true;
  const kind = (c.object ?? c.oldObject)?.kind?.toLowerCase() ?? '';
  const sub = c.subResource ?? '';
  return resources.some((r) => {
    const [base, ruleSub = ''] = r.split('/');
    // A rule for pods/exec matches exec requests only, whose body is a PodExecOptions, not a Pod.
    if (ruleSub !== sub && ruleSub !== '*') return false;
    if (sub && (ruleSub === sub || ruleSub === '*')) return true;
    return base === `${kind}s` || base === `${kind}es` || base === `${kind.replace(/y$/, '')}ies` || base === kind;
  });
}

function caseNamespace(c: TestCase): string | undefined {
  return c.namespace ?? (c.object ?? c.oldObject)?.metadata?.namespace;
}

function inScope(c: TestCase, resources: readonly string[], scope: Scope): boolean {
  if (!kindMatches(c, resources)) return false;
  const ns = caseNamespace(c);
  if (scope.clusterScoped || ns === undefined) return true;
  if (scope.included.length) return scope.included.includes(ns);
  return !scope.excluded.includes(ns);
}

function neverTouched(
  cases: TestCase[],
  resources: readonly string[],
  operations: readonly string[],
  allOperations: boolean,
  scope: Scope,
  catalog?: ApiCatalog,
): string[] {
  const out: string[] = [];
  const otherKinds = [
    ...new Set(cases.filter((c) => !kindMatches(c, resources)).map((c) => (c.object ?? c.oldObject)?.kind ?? '?')),
  ];
  if (!resources.includes('*'))
    out.push(`other kinds${otherKinds.length ? ` (e.g. ${otherKinds.map(plural).join(', ')})` : ''}`);
  const missingOps = allOperations ? [] : OPERATIONS.filter((o) => !operations.includes(o));
  if (missingOps.length) out.push(`${missingOps.join('/')} requests`);
  if (!scope.clusterScoped) {
    if (scope.included.length) out.push(`namespaces other than ${scope.included.join(', ')}`);
    if (scope.excluded.length) out.push(`namespaces ${scope.excluded.join(', ')}`);
  }
  void catalog;
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Cases: what sets them apart

/** Leaf `path → value` pairs of an object (array items by index), identity fields left out. */
type CaseFeatures = (c: TestCase) => Map<string, string>;

/** Each case's features, computed once per case on first use. */
function caseFeatures(): CaseFeatures {
  const memo = new Map<TestCase, Map<string, string>>();
  return (c) => {
    let found = memo.get(c);
    if (!found) {
      found = featuresOf(c.object ?? c.oldObject ?? {});
      memo.set(c, found);
    }
    return found;
  };
}

function featuresOf(object: KubeObject | Record<string, unknown>): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (value: unknown, path: string, depth: number): void => {
    if (out.size >= 200 || depth > 10) return;
    if (Array.isArray(value)) {
      if (value.length === 0) out.set(path, '[]');
      value.forEach((v, i) => walk(v, `${path}[${i}]`, depth + 1));
    } else if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length === 0 && path) out.set(path, '{}');
      for (const [k, v] of entries) walk(v, path ? `${path}.${k}` : k, depth + 1);
    } else if (path && !IDENTITY.test(path)) {
      out.set(path, JSON.stringify(value));
    }
  };
  walk(object, '', 0);
  return podSpecFeatures(out);
}

/** Where a pod's spec sits in a Pod and in the kinds that carry a pod template. */
const POD_SPEC = /^spec\.(?:(?:jobTemplate\.spec\.)?template\.spec\.)?/;
const CONTAINER = /^(?:containers|initContainers|ephemeralContainers)\[\d+\]\.(.+)$/;
const POD_TEMPLATE_META = /^spec\.(?:jobTemplate\.spec\.)?template\.(metadata\.(?:labels|annotations)\..+)$/;

/**
 * A pod's spec is described the same way whatever carries it (a Pod, a Deployment's template, a CronJob's
 * job template), and a container's fields as "any container: …" whichever list and index hold it, so the
 * cases of one rule share the feature that decides them ("any container: securityContext.privileged is true").
 */
function podSpecFeatures(features: Map<string, string>): Map<string, string> {
  const kind =
    features.has('spec.template.spec.containers[0].name') ||
    features.has('spec.jobTemplate.spec.template.spec.containers[0].name') ||
    features.has('spec.containers[0].name');
  if (!kind) return features;
  const out = new Map<string, string>();
  const containerValues = new Map<string, Set<string>>();
  const carrier = !features.has('spec.containers[0].name');
  for (const [path, value] of features) {
    // A pod template's labels and annotations are its pods' (described as a Pod's own); the carrier's own are not.
    const templateMeta = POD_TEMPLATE_META.exec(path);
    if (templateMeta) {
      out.set(templateMeta[1], value);
      continue;
    }
    if (carrier && /^metadata\.(?:labels|annotations)\./.test(path)) {
      out.set(`its own ${path}`, value);
      continue;
    }
    const prefix = POD_SPEC.exec(path)?.[0] ?? '';
    const inPod = prefix !== '' && (prefix !== 'spec.' || features.has('spec.containers[0].name'));
    const rest = inPod ? path.slice(prefix.length) : '';
    const container = inPod ? CONTAINER.exec(rest) : null;
    if (container) {
      const key = `any container: ${container[1]}`;
      containerValues.set(key, (containerValues.get(key) ?? new Set()).add(value));
    } else if (inPod && !/^(template|jobTemplate|selector|replicas|schedule)\b/.test(rest)) {
      out.set(`pod spec: ${rest}`, value);
    } else {
      out.set(path, value);
    }
  }
  for (const [key, values] of containerValues) out.set(key, [...values].sort().join(' or '));
  return out;
}

/**
 * Features that cannot tell a verdict apart, so naming them says nothing: those every case shares, and
 * those that an in-scope denied (warned, mutated) case and an in-scope allowed case both have (a container's
 * name, its image in a privileged-container plan).
 */
function noiseFeatures(
  all: Array<Map<string, string>>,
  decided: Array<Map<string, string>>,
  allowed: Array<Map<string, string>>,
): Set<string> {
  const key = ([p, v]: [string, string]): string => `${p}=${v}`;
  const noise = new Set<string>();
  if (all.length >= 2) {
    const [first, ...rest] = all;
    for (const f of first) if (rest.every((m) => m.get(f[0]) === f[1])) noise.add(key(f));
  }
  // A list item is the same item wherever it sits: a role's rule for clusterroles is at rules[1] in a denied case
  // and at rules[0] in an allowed one, and names no condition in either.
  const anyIndex = ([p, v]: [string, string]): string => `${p.replace(/\[\d+\]/g, '[]')}=${v}`;
  const inAllowed = new Set(allowed.flatMap((m) => [...m].map(anyIndex)));
  for (const m of decided) for (const f of m) if (inAllowed.has(anyIndex(f))) noise.add(key(f));
  return noise;
}

/** Features that every denied (warned, mutated) in-scope case has, and that not every case has. */
function decidingFeatures(decided: Array<Map<string, string>>, common: Set<string>): Array<[string, string]> {
  if (!decided.length) return [];
  const [first, ...rest] = decided;
  return [...first]
    .filter(([p, v]) => !common.has(`${p}=${v}`) && rest.every((m) => m.get(p) === v))
    .slice(0, MAX_FEATURES);
}

/** Paths every in-scope allowed case of the same kind has and this case lacks ("no readinessProbe"). */
function missingFeatures(c: TestCase, allowed: TestCase[], features: CaseFeatures): string[] {
  const kind = (c.object ?? c.oldObject)?.kind;
  const peers = allowed.filter((a) => (a.object ?? a.oldObject)?.kind === kind).map((a) => features(a));
  if (!peers.length) return [];
  const mine = features(c);
  const [first, ...rest] = peers;
  const lacking = [...first.keys()].filter((p) => !mine.has(p) && rest.every((m) => m.has(p)));
  // Named by the highest part that is absent as a whole: "readinessProbe", not each of its leaves.
  const present = (prefix: string): boolean =>
    [...mine.keys()].some((k) => k === prefix || k.startsWith(`${prefix}.`) || k.startsWith(`${prefix}[`));
  const top = (path: string): string => {
    const cuts = [...path.matchAll(/[.[]/g)].map((m) => m.index);
    for (const cut of cuts) {
      const prefix = path.slice(0, cut);
      if (
        cut > 0 &&
        !/^(metadata|metadata\.labels|metadata\.annotations|spec|any container:|pod spec:)$/.test(prefix) &&
        !present(prefix)
      )
        return prefix;
    }
    return path;
  };
  return [...new Set(lacking.map(top))];
}

function describeCase(
  c: TestCase,
  features: Map<string, string>,
  common: Set<string>,
  deciding: Array<[string, string]>,
  missing: string[],
): string {
  const object = c.object ?? c.oldObject;
  const ns = caseNamespace(c);
  const head = `${c.operation ?? 'CREATE'} ${object?.kind ?? 'object'}${ns ? ` in ${ns}` : ''}`;
  const own = [...features].filter(([p, v]) => !common.has(`${p}=${v}`));
  const has: string[] = [];
  const lacks: string[] = missing.slice(0, MAX_FEATURES).map(renderPath);
  for (const [p, v] of deciding) {
    const mine = features.get(p);
    if (mine === undefined) lacks.push(renderPath(p));
    else has.push(renderFeature([p, mine === v ? v : mine]));
  }
  for (const f of own) {
    if (has.length + lacks.length >= MAX_FEATURES) break;
    if (!deciding.some(([p]) => p === f[0])) has.push(renderFeature(f));
  }
  const changed = c.operation === 'UPDATE' && c.oldObject && c.object ? changedPhrase(c.oldObject, c.object) : '';
  const parts = [has.length ? ` with ${has.join(', ')}` : '', lacks.length ? ` without ${lacks.join(', ')}` : ''].join(
    '',
  );
  return `${head}${parts}${changed} ("${c.name}")`;
}

function changedPhrase(oldObject: KubeObject, object: KubeObject): string {
  const before = featuresOf(oldObject);
  const after = featuresOf(object);
  const changes: string[] = [];
  for (const [p, v] of before)
    if (after.get(p) !== v)
      changes.push(after.has(p) ? `${renderPath(p)} ${v} → ${after.get(p)}` : `${renderPath(p)} removed`);
  for (const [p, v] of after) if (!before.has(p)) changes.push(`${renderPath(p)} added as ${v}`);
  return changes.length ? `, changing ${changes.slice(0, 2).join(', ')}` : ', unchanged';
}

function patchPhrase(c: TestCase): string {
  if (c.patched === undefined || c.patched === null || typeof c.patched !== 'object' || !c.object) return '';
  const before = featuresOf(c.object);
  const after = featuresOf(c.patched as Record<string, unknown>);
  const sets = [...after]
    .filter(([p, v]) => before.get(p) !== v)
    .slice(0, MAX_FEATURES)
    .map(renderFeature);
  return sets.length ? `: sets ${sets.join(', ')}` : '';
}

function allowPhrase(
  cases: TestCase[],
  resources: readonly string[],
  scope: Scope,
  deciding: Array<[string, string]>,
  features: CaseFeatures,
  kinds: string,
): string {
  const allowed = cases.filter((c) => c.expect === 'allow');
  if (!allowed.length) return '';
  const inside = allowed.filter((c) => inScope(c, resources, scope));
  if (deciding.length && inside.length) {
    const [p, v] = deciding[0];
    const without = inside.filter((c) => features(c).get(p) === undefined).length;
    const other = inside.filter((c) => {
      const mine = features(c).get(p);
      return mine !== undefined && mine !== v;
    });
    const parts = [
      without ? `without ${renderPath(p)}` : '',
      other.length ? `with another ${renderPath(p)} (e.g. ${other[0] && features(other[0]).get(p)})` : '',
    ].filter(Boolean);
    if (parts.length) return `${kinds} ${scope.phrase} ${parts.join(' or ')}`;
  }
  return `${allowed.length} planned case(s) (${inside.length} in scope)`;
}

function renderPath(path: string): string {
  path = path
    .replace(/^spec\.(jobTemplate\.spec\.)?template\.spec\./, 'pod spec: ')
    .replace(/^any container: /, 'container ')
    .replace(/^pod spec: /, 'pod spec.');
  const label = /^metadata\.labels\.(.+)$/.exec(path);
  if (label) return `label ${label[1]}`;
  const annotation = /^metadata\.annotations\.(.+)$/.exec(path);
  if (annotation) return `annotation ${annotation[1]}`;
  return path;
}

function renderFeature([path, value]: [string, string]): string {
  return `${renderPath(path)} ${/^(label|annotation) /.test(renderPath(path)) ? '=' : 'is'} ${value}`.replace(
    ' = ',
    '=',
  );
}
