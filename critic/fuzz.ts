import { createHash } from 'node:crypto';
import { builtinCatalog, type ApiCatalog, type ApiResource } from '../catalog/index.js';
import type { FuzzCrash, JsPolicy, KubeObject, SuiteResult, TestCase } from '../common/index.js';
import { matchedResources } from './rules.js';

/** What the critic needs from the sandbox (a `SandboxRunner` from sandbox/ satisfies it). */
export interface SuiteRunner {
  runSuite(policy: JsPolicy, cases: TestCase[], options?: { ignoreSelectors?: boolean }): Promise<SuiteResult>;
}

export interface FuzzOptions {
  /** Resources, for generating objects of the matched kinds. @defaultValue builtinCatalog() */
  catalog?: ApiCatalog;
  /** Variants derived from one case, at most. @defaultValue 60 */
  maxVariantsPerCase?: number;
  /**
   * Length of the "very large" strings, and items of the "very large" lists. Longer than anything a policy
   * reads in practice (names ≤ 253, label values ≤ 63 characters; a pod has a handful of containers), and
   * enough for what large values find: a regular expression backtracking on a long value, a loop per item.
   * Bigger ones found nothing more and cost most of the fuzzing time: copying, marshalling and diffing a
   * 64 KiB string or a 1,000-item list per variant (issue 17). @defaultValue {string: 4096, list: 32}
   */
  large?: { string: number; list: number };
  /** Rounds of shrinking a crashing object to the smallest one that still crashes. @defaultValue 12 */
  shrinkRounds?: number;
}

type Path = Array<string | number>;

interface Variant {
  from: string;
  mutation: string;
  testCase: TestCase;
  /** Which object of the case was varied (oldObject for DELETE). */
  field: 'object' | 'oldObject';
}

/**
 * Fields the API server guarantees on a well-formed object (validation rejects objects without them),
 * as path patterns (`[]` = any list index). The fuzzer never removes, nulls or empties these: a crash on
 * an object that cannot exist is not a finding.
 */
const POD_SPEC = [
  ['containers'],
  ['containers', '[]', 'name'],
  ['containers', '[]', 'image'],
  ['initContainers', '[]', 'name'],
  ['initContainers', '[]', 'image'],
  ['ephemeralContainers', '[]', 'name'],
  ['ephemeralContainers', '[]', 'image'],
];
const under = (prefix: string[], paths: string[][]): string[][] => [prefix, ...paths.map((p) => [...prefix, ...p])];
const TEMPLATED = [
  ['spec'],
  ['spec', 'selector'],
  ...under(['spec', 'template'], []),
  ...under(['spec', 'template', 'spec'], POD_SPEC),
];
/** A RoleBinding's and a ClusterRoleBinding's required fields are the same. */
const BINDING_PATHS = [
  ['roleRef'],
  ['roleRef', 'kind'],
  ['roleRef', 'name'],
  ['roleRef', 'apiGroup'],
  ['subjects', '[]', 'kind'],
  ['subjects', '[]', 'name'],
];
const REQUIRED: Readonly<Record<string, string[][]>> = {
  Pod: under(['spec'], POD_SPEC),
  PodTemplate: under(['template', 'spec'], POD_SPEC),
  Deployment: TEMPLATED,
  ReplicaSet: TEMPLATED,
  StatefulSet: TEMPLATED,
  DaemonSet: TEMPLATED,
  ReplicationController: [['spec'], ...under(['spec', 'template', 'spec'], POD_SPEC)],
  Job: [['spec'], ...under(['spec', 'template', 'spec'], POD_SPEC)],
  CronJob: [['spec'], ['spec', 'schedule'], ...under(['spec', 'jobTemplate', 'spec', 'template', 'spec'], POD_SPEC)],
  RoleBinding: BINDING_PATHS,
  ClusterRoleBinding: BINDING_PATHS,
  Ingress: [
    ['spec', 'rules', '[]', 'http', 'paths'],
    ['spec', 'rules', '[]', 'http', 'paths', '[]', 'pathType'],
  ],
  Service: [['spec', 'ports', '[]', 'port']],
};
const ALWAYS_REQUIRED = [['apiVersion'], ['kind'], ['metadata'], ['metadata', 'name'], ['metadata', 'namespace']];

/** Minimal well-formed bodies (beyond apiVersion/kind/metadata) for kinds whose schema requires some. */
const CONTAINERS = [{ name: 'c', image: 'registry.example.com/app:1.0' }];
const WORKLOAD = {
  spec: {
    selector: { matchLabels: { app: 'a' } },
    template: { metadata: { labels: { app: 'a' } }, spec: { containers: CONTAINERS } },
  },
};
const JOB = { spec: { template: { spec: { restartPolicy: 'Never', containers: CONTAINERS } } } };
const ROLE_BINDING = { roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' } };
const SKELETONS: Readonly<Record<string, Record<string, unknown>>> = {
  Pod: { spec: { containers: CONTAINERS } },
  Deployment: WORKLOAD,
  StatefulSet: WORKLOAD,
  DaemonSet: WORKLOAD,
  ReplicaSet: WORKLOAD,
  Job: JOB,
  CronJob: { spec: { schedule: '0 * * * *', jobTemplate: JOB } },
  RoleBinding: ROLE_BINDING,
  ClusterRoleBinding: ROLE_BINDING,
  Namespace: {},
  ConfigMap: {},
  Secret: {},
};

// What jsPolicy answers with a 500: a throw, a timeout, memory, and a verdict it cannot decode into Go types.
const CRASH_KINDS = new Set(['throw', 'timeout', 'memory', 'decode']);

const DEFAULT_LARGE = { string: 4096, list: 32 };

/**
 * Searches for objects on which the policy throws (jsPolicy then denies with 500): variants of every
 * case's object (optional fields removed, null or empty values, empty lists, missing labels and
 * annotations, references of other kinds or external ones, very large values) and minimal objects of
 * every kind the rules match, generated from the catalog. Each distinct error is reported once, with the
 * smallest object found that still shows it.
 *
 * Robustness, not matching, is what is tested: the policy runs with apiGroups and apiVersions widened to
 * `*` (the catalog lints report wrong groups), so a crash is not hidden behind a rule that never matches.
 */
export async function fuzzPolicy(
  policy: JsPolicy,
  cases: TestCase[],
  sandbox: SuiteRunner,
  options: FuzzOptions = {},
): Promise<FuzzCrash[]> {
  const catalog = options.catalog ?? builtinCatalog();
  const probe: JsPolicy = { ...policy, spec: { ...policy.spec, apiGroups: ['*'], apiVersions: ['*'], scope: '*' } };
  const maxPerCase = options.maxVariantsPerCase ?? 60;
  const large = options.large ?? DEFAULT_LARGE;

  // A variant is its case's request (operation, namespace, object, oldObject) plus one mutation, so it is
  // keyed by a hash of the request, computed once per case, and the mutation's text (path and kind):
  // identical cases yield each variant once, and no variant, large ones included, is serialised to compare it.
  const seen = new Set<string>();
  const variants: Variant[] = [];
  const push = (v: Variant, requestHash: string): void => {
    const key = `${requestHash} ${v.mutation}`;
    if (seen.has(key)) return;
    seen.add(key);
    variants.push(v);
  };
  for (const c of cases) {
    const operation = c.operation ?? 'CREATE';
    // DELETE carries only oldObject; UPDATE carries both, and code comparing them reads both.
    const fields: Array<'object' | 'oldObject'> =
      operation === 'DELETE'
        ? ['oldObject']
        : operation === 'UPDATE' && c.oldObject
          ? ['object', 'oldObject']
          : ['object'];
    const requestHash = createHash('sha1')
      .update(JSON.stringify([operation, c.namespace ?? c[fields[0]]?.metadata?.namespace, c.object, c.oldObject]))
      .digest('base64');
    for (const field of fields) {
      const base = c[field];
      if (!base || typeof base !== 'object') continue;
      const namespace = c.namespace ?? base.metadata?.namespace;
      const label = field === 'object' ? '' : 'oldObject: ';
      const mk = (obj: KubeObject, mutation: string): Variant => ({
        from: c.name,
        mutation: `${label}${mutation}`,
        field,
        testCase: {
          ...c,
          name: `${c.name} · ${label}${mutation}`,
          [field]: obj,
          ...(namespace ? { namespace } : {}),
          expect: 'allow',
          message: undefined,
          patched: undefined,
        },
      });
      if (field === fields[0]) push(mk(base, 'the case object unchanged'), requestHash);
      const limit = field === 'oldObject' && fields.length > 1 ? Math.ceil(maxPerCase / 3) : maxPerCase;
      for (const { object, mutation } of objectVariants(base, large).slice(0, limit))
        push(mk(object, mutation), requestHash);
    }
  }

  // Minimal objects of each matched kind, in the namespace of the first case (selectors are ignored for these).
  const firstNamespace =
    cases.map((c) => c.namespace ?? c.object?.metadata?.namespace ?? c.oldObject?.metadata?.namespace).find(Boolean) ??
    'default';
  const ops = policy.spec.operations ?? [];
  const operation =
    ops.includes('CREATE') || ops.includes('*')
      ? 'CREATE'
      : ops.includes('UPDATE')
        ? 'UPDATE'
        : ops.includes('DELETE')
          ? 'DELETE'
          : 'CREATE';
  const generated: Variant[] = [];
  for (const resource of generatedKinds(policy, catalog)) {
    for (const { object, mutation } of generatedObjects(resource, firstNamespace)) {
      const field = operation === 'DELETE' ? 'oldObject' : 'object';
      generated.push({
        from: `catalog:${resource.kind}`,
        mutation,
        field,
        testCase: {
          name: `catalog:${resource.kind} · ${mutation}`,
          operation,
          [field]: object,
          ...(operation === 'UPDATE' ? { oldObject: object } : {}),
          ...(resource.namespaced ? { namespace: firstNamespace } : {}),
          expect: 'allow',
        },
      });
    }
  }

  // As few sandbox calls as the search allows: selectors only matter when the policy has some, and without
  // them the generated objects go in the first call too; the other variants all go in one call.
  const selectorsMatter = Boolean(probe.spec.namespaceSelector || probe.spec.objectSelector);
  const crashesOf = async (
    batches: Array<{ list: Variant[]; ignoreSelectors: boolean }>,
  ): Promise<Array<{ variant: Variant; error: string; kind: string }>> => {
    const out: Array<{ variant: Variant; error: string; kind: string }> = [];
    for (const { list, ignoreSelectors } of batches) {
      if (!list.length) continue;
      const result = await sandbox.runSuite(
        probe,
        list.map((v) => v.testCase),
        { ignoreSelectors },
      );
      if (result.compileError) return [];
      result.cases.forEach((r, i) => {
        const kind = r.outcome.errorKind;
        if (r.outcome.error && kind && CRASH_KINDS.has(kind))
          out.push({ variant: list[i], error: r.outcome.error, kind });
      });
    }
    return out;
  };
  // The unchanged objects first: a policy that already runs out of time on them would spend the timeout
  // on every variant too, so the search stops there and reports what it has.
  const unchanged = variants.filter((v) => v.mutation.endsWith('the case object unchanged'));
  const found = await crashesOf(
    selectorsMatter
      ? [
          { list: unchanged, ignoreSelectors: false },
          { list: generated, ignoreSelectors: true },
        ]
      : [{ list: [...unchanged, ...generated], ignoreSelectors: false }],
  );
  const exhausted = found.some((f) => f.kind !== 'throw');
  if (!exhausted)
    found.push(
      ...(await crashesOf([
        { list: variants.filter((v) => !v.mutation.endsWith('the case object unchanged')), ignoreSelectors: false },
      ])),
    );

  // One report per distinct error, shrunk to the smallest object that still shows it.
  // A case-derived variant is preferred over a generated object: it names the case the coder knows.
  const byError = new Map<string, (typeof found)[number]>();
  for (const f of found) {
    const key = normalise(f.error);
    const had = byError.get(key);
    if (!had || (had.variant.from.startsWith('catalog:') && !f.variant.from.startsWith('catalog:')))
      byError.set(key, f);
  }
  // Shrinking re-runs the object many times: only for throws, which are fast, never for timeouts.
  const reports = [...byError.values()];
  const shrinking = reports
    .filter((r) => r.kind === 'throw')
    .map((r) => new Shrinker(r.variant, normalise(r.error), selectorsMatter && r.variant.from.startsWith('catalog:')));
  await shrinkTogether(probe, shrinking, sandbox, options.shrinkRounds ?? 12);
  const smallest = new Map(shrinking.map((s) => [s.variant, s.current]));
  return reports.map(({ variant, error }) => ({
    from: variant.from,
    mutation: variant.mutation,
    error,
    object: smallest.get(variant) ?? variant.testCase[variant.field],
  }));
}

/** One key per root cause: `of null` and `of undefined` are the same missing guard. */
function normalise(error: string): string {
  return error
    .replace(/^Uncaught\s+/, '')
    .replace(/\bof null\b/g, 'of undefined')
    .replace(/\s+/g, ' ')
    .trim();
}

/** One crash being shrunk: removes one field per round (largest first) while the same error still occurs. */
class Shrinker {
  current: KubeObject;
  done = false;
  private readonly kind: string;
  private readonly original: KubeObject;
  constructor(
    readonly variant: Variant,
    readonly error: string,
    readonly ignoreSelectors: boolean,
  ) {
    this.original = this.current = variant.testCase[variant.field] as KubeObject;
    this.kind = String(this.current.kind ?? '');
  }
  /** This round's smaller objects: the current one with one removable field removed, largest first. */
  candidates(): KubeObject[] {
    const current = this.current;
    return removablePaths(current, this.kind)
      .map((path) => ({ path, size: JSON.stringify(getAt(current, path) ?? null).length }))
      .sort((a, b) => b.size - a.size)
      .slice(0, 40)
      .map(({ path }) => removeAt(current, path))
      .filter((obj) => wellFormed(this.original, obj, this.kind));
  }
}

/**
 * Shrinks every crash at once: each round sends the candidates of all crashes still shrinking in one sandbox
 * call (one per selector setting), instead of a call per crash and round.
 */
async function shrinkTogether(
  probe: JsPolicy,
  shrinkers: Shrinker[],
  sandbox: SuiteRunner,
  rounds: number,
): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    for (const ignoreSelectors of [false, true]) {
      const active = shrinkers.filter((s) => !s.done && s.ignoreSelectors === ignoreSelectors);
      const batch = active.map((s) => ({ s, candidates: s.candidates() }));
      for (const b of batch) if (!b.candidates.length) b.s.done = true;
      const cases = batch.flatMap(({ s, candidates }) =>
        candidates.map((obj, i) => ({ ...s.variant.testCase, name: `shrink ${round}.${i}`, [s.variant.field]: obj })),
      );
      if (!cases.length) continue;
      const result = await sandbox.runSuite(probe, cases, { ignoreSelectors });
      let offset = 0;
      for (const { s, candidates } of batch) {
        const mine = result.cases.slice(offset, offset + candidates.length);
        offset += candidates.length;
        if (!candidates.length) continue;
        const hit = mine.findIndex((r) => r.outcome.error && normalise(r.outcome.error) === s.error);
        if (hit < 0) s.done = true;
        else s.current = candidates[hit];
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Variants of an object

export function objectVariants(
  base: KubeObject,
  large: { string: number; list: number },
): Array<{ object: KubeObject; mutation: string }> {
  const kind = String(base.kind ?? '');
  // One list per kind of change; they are interleaved so a cap on variants still samples every kind.
  const groups: Record<
    'metadata' | 'removed' | 'nulls' | 'empty' | 'references' | 'large',
    Array<{ object: KubeObject; mutation: string }>
  > = {
    metadata: [],
    removed: [],
    nulls: [],
    empty: [],
    references: [],
    large: [],
  };
  const add = (group: keyof typeof groups, object: KubeObject, mutation: string): void => {
    if (wellFormed(base, object, kind)) groups[group].push({ object, mutation });
  };
  // Missing metadata first: the most common crash in real policies.
  for (const key of ['labels', 'annotations', 'ownerReferences']) {
    if (base.metadata?.[key] !== undefined)
      add('metadata', removeAt(base, ['metadata', key]), `removed metadata.${key}`);
  }
  add('metadata', setAt(base, ['metadata', 'labels'], {}), 'empty metadata.labels');
  const paths = allPaths(base).filter(
    (p) =>
      !(
        p[0] === 'metadata' &&
        ['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp'].includes(String(p[1]))
      ),
  );
  const byDepth = [...paths].sort((a, b) => a.length - b.length);
  for (const p of byDepth) {
    const v = getAt(base, p);
    if (typeof p[p.length - 1] === 'string') {
      add('removed', removeAt(base, p), `removed ${show(p)}`);
      add('nulls', setAt(base, p, null), `${show(p)} set to null`);
    }
    if (Array.isArray(v) && v.length) add('empty', setAt(base, p, []), `empty list ${show(p)}`);
    else if (isObject(v) && Object.keys(v).length) add('empty', setAt(base, p, {}), `empty object ${show(p)}`);
    else if (typeof v === 'string' && v) add('empty', setAt(base, p, ''), `empty string ${show(p)}`);
    if (isObject(v) && typeof v.kind === 'string') {
      // A reference (resourceRef, roleRef, ownerReference…): another kind, an external id, a bare name.
      add(
        'references',
        setAt(base, p, { ...v, kind: v.kind === 'Folder' ? 'Organization' : 'Folder' }),
        `${show(p)} referencing another kind`,
      );
      add(
        'references',
        setAt(base, p, { external: `projects/fuzz-${v.kind.toLowerCase()}` }),
        `${show(p)} replaced by an external reference`,
      );
      if (typeof v.name === 'string')
        add('references', setAt(base, p, { name: v.name }), `${show(p)} with only a name`);
    }
    if (typeof v === 'string') add('large', setAt(base, p, v + 'x'.repeat(large.string)), `very large ${show(p)}`);
    else if (typeof v === 'number')
      add('large', setAt(base, p, Number.MAX_SAFE_INTEGER), `${show(p)} set to ${Number.MAX_SAFE_INTEGER}`);
    else if (Array.isArray(v) && v.length)
      add(
        'large',
        setAt(
          base,
          p,
          Array.from({ length: large.list }, (_, i) => renameItem(v[i % v.length], i)),
        ),
        `${show(p)} with ${large.list} items`,
      );
  }
  const lists = Object.values(groups);
  const out: Array<{ object: KubeObject; mutation: string }> = [];
  for (let i = 0; lists.some((l) => i < l.length); i++) for (const l of lists) if (i < l.length) out.push(l[i]);
  return out;
}

/** Copies of list items get distinct names, as the API server requires for containers, ports, …. */
function renameItem(item: unknown, i: number): unknown {
  if (isObject(item) && typeof item.name === 'string') return { ...item, name: `${item.name}-${i}` };
  return item;
}

function generatedKinds(policy: JsPolicy, catalog: ApiCatalog): ApiResource[] {
  const spec = { ...policy.spec, apiGroups: ['*'], apiVersions: ['*'] };
  const all = matchedResources(spec, catalog).filter((r) => r.group !== 'metrics.k8s.io');
  // A wildcard would mean every kind: keep it to the common workloads.
  if ((policy.spec.resources ?? []).includes('*'))
    return all.filter((r) => ['Pod', 'Deployment', 'Service', 'ConfigMap'].includes(r.kind) && r.source === 'builtin');
  return all.slice(0, 8);
}

function generatedObjects(resource: ApiResource, namespace: string): Array<{ object: KubeObject; mutation: string }> {
  const apiVersion = resource.group ? `${resource.group}/${resource.versions[0]}` : resource.versions[0];
  const metadata = { name: 'fuzz', ...(resource.namespaced ? { namespace } : {}) };
  const skeleton = SKELETONS[resource.kind] ?? { spec: {} };
  const out = [
    {
      object: { apiVersion, kind: resource.kind, metadata, ...structuredClone(skeleton) } as KubeObject,
      mutation: 'minimal object generated from the catalog',
    },
  ];
  if (!REQUIRED[resource.kind] && SKELETONS[resource.kind] === undefined) {
    out.push({
      object: { apiVersion, kind: resource.kind, metadata } as KubeObject,
      mutation: 'object with metadata only, generated from the catalog',
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Paths

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i ? `.${p}` : p)).join('');
}

function allPaths(obj: unknown, prefix: Path = [], out: Path[] = [], limit = 400): Path[] {
  if (out.length >= limit) return out;
  if (Array.isArray(obj)) {
    obj.slice(0, 5).forEach((v, i) => {
      out.push([...prefix, i]);
      allPaths(v, [...prefix, i], out, limit);
    });
  } else if (isObject(obj)) {
    for (const [k, v] of Object.entries(obj)) {
      if (prefix.length === 0 && (k === 'apiVersion' || k === 'kind')) continue;
      out.push([...prefix, k]);
      allPaths(v, [...prefix, k], out, limit);
    }
  }
  return out;
}

function getAt(obj: unknown, path: Path): unknown {
  let v: unknown = obj;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

/**
 * Copies of `obj` with one value changed copy only the containers along the path; everything else is shared
 * with `obj` (variants are never mutated after they are made, so sharing is safe, and a variant costs its
 * path rather than a deep copy of the whole object).
 */
function shallowCopy(v: unknown): Record<string | number, unknown> {
  return (Array.isArray(v) ? [...v] : { ...(v as object) }) as Record<string | number, unknown>;
}

function setAt<T>(obj: T, path: Path, value: unknown): T {
  const copy = shallowCopy(obj);
  let v = copy;
  for (const p of path.slice(0, -1)) {
    const next = v[p];
    v = v[p] = next === null || typeof next !== 'object' ? {} : shallowCopy(next);
  }
  v[path[path.length - 1]] = value;
  return copy as T;
}

function removeAt<T>(obj: T, path: Path): T {
  if (getAt(obj, path.slice(0, -1)) === null || typeof getAt(obj, path.slice(0, -1)) !== 'object') return obj;
  const copy = shallowCopy(obj);
  let parent = copy;
  for (const p of path.slice(0, -1)) parent = parent[p] = shallowCopy(parent[p]);
  const last = path[path.length - 1];
  if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
  else if (isObject(parent)) delete parent[last as string];
  return copy as T;
}

function removablePaths(obj: KubeObject, kind: string): Path[] {
  return allPaths(obj).filter((p) => !isRequiredPath(p, kind));
}

function isRequiredPath(path: Path, kind: string): boolean {
  const patterns = [...ALWAYS_REQUIRED, ...(REQUIRED[kind] ?? [])];
  const pattern = path.map((p) => (typeof p === 'number' ? '[]' : p));
  // A path is protected when it is a required path or an ancestor of one (removing it removes the required field).
  return patterns.some((req) => pattern.length <= req.length && pattern.every((seg, i) => seg === req[i]));
}

/** Every required field present in the original is still present (not null, not emptied away) in the variant. */
function wellFormed(original: KubeObject, variant: KubeObject, kind: string): boolean {
  const patterns = [...ALWAYS_REQUIRED, ...(REQUIRED[kind] ?? [])];
  for (const req of patterns) {
    for (const concrete of expand(original, req)) {
      const before = getAt(original, concrete);
      const after = getAt(variant, concrete);
      if (before === undefined || before === null) continue;
      if (after === undefined || after === null) return false;
      if (Array.isArray(before) && before.length && Array.isArray(after) && !after.length) return false;
    }
  }
  return true;
}

function expand(obj: unknown, pattern: string[], prefix: Path = []): Path[] {
  if (!pattern.length) return [prefix];
  const [head, ...rest] = pattern;
  const v = getAt(obj, prefix);
  if (head === '[]') return Array.isArray(v) ? v.flatMap((_, i) => expand(obj, rest, [...prefix, i])) : [];
  return expand(obj, rest, [...prefix, head]);
}
