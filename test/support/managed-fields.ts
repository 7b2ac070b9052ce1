import { isDeepStrictEqual } from 'node:util';

/**
 * Field ownership (metadata.managedFields) and server-side apply for the test API server, modelled on
 * structured-merge-diff as the API server runs it, at leaf granularity:
 *
 * - every write records its manager (fieldManager, else the User-Agent's product) with operation Update
 *   and takes ownership of the fields it changed, from whoever owned them;
 * - an apply (operation Apply) owns exactly the fields of its configuration; a field another manager owns
 *   whose value the apply would change is a conflict (409) unless force=true, which takes it over;
 *   a field the manager applied before, leaves out now, and nobody else owns is removed;
 * - the main endpoint of a resource with a status subresource tracks everything but status, /status only
 *   status; apiVersion, kind and metadata other than labels, annotations, finalizers and ownerReferences
 *   are never tracked.
 *
 * Simplified: every list is atomic (one field), including x-kubernetes-list-type map/set lists, so two
 * managers cannot own different conditions of one list; a manager never owns the parent of a field
 * (structured-merge-diff's "." entries), so removing a field leaves its emptied parent object in place.
 */

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Update' | 'Apply';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

export interface Scope {
  /** The resource has a status subresource (its main endpoint leaves status alone). */
  statusSubresource: boolean;
  /** The write goes to /status. */
  toStatus: boolean;
}

export interface Conflict {
  manager: string;
  /** As structured-merge-diff prints a path: `.spec.mode`, `.metadata.labels.team`. */
  field: string;
}

type Path = string[];
const keyOf = (path: Path): string => JSON.stringify(path);
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const TRACKED_METADATA = ['labels', 'annotations', 'finalizers', 'ownerReferences'];

/** The fields of `obj` a write in `scope` touches, keyed by path, with their values. */
export function leaves(obj: any, scope: Scope): Map<string, { path: Path; value: unknown }> {
  const out = new Map<string, { path: Path; value: unknown }>();
  const walk = (v: unknown, path: Path): void => {
    if (isObject(v) && Object.keys(v).length > 0) {
      for (const [k, x] of Object.entries(v)) if (x !== undefined) walk(x, [...path, k]);
    } else {
      out.set(keyOf(path), { path, value: v });
    }
  };
  if (!isObject(obj)) return out;
  for (const [key, value] of Object.entries(obj)) {
    if (value === undefined || key === 'apiVersion' || key === 'kind') continue;
    if (key === 'metadata') {
      if (scope.toStatus || !isObject(value)) continue;
      for (const m of TRACKED_METADATA) if (value[m] !== undefined) walk(value[m], ['metadata', m]);
      continue;
    }
    if (scope.toStatus ? key !== 'status' : scope.statusSubresource && key === 'status') continue;
    walk(value, [key]);
  }
  return out;
}

export function fieldsV1(paths: Path[]): Record<string, unknown> {
  const root: Record<string, any> = {};
  for (const path of paths) {
    let node = root;
    for (const k of path) node = node[`f:${k}`] ??= {};
  }
  return root;
}

export function pathsOf(tree: Record<string, unknown>, prefix: Path = []): Path[] {
  const children = Object.keys(tree).filter((k) => k.startsWith('f:'));
  if (children.length === 0) return prefix.length ? [prefix] : [];
  return children.flatMap((k) => pathsOf(tree[k] as Record<string, unknown>, [...prefix, k.slice(2)]));
}

export function displayPath(path: Path): string {
  return path.map((k) => `.${k}`).join('');
}

/** How the API server names a manager in a conflict (managedfields printManager). */
export function printManager(
  e: Pick<ManagedFieldsEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>,
): string {
  let s = JSON.stringify(e.manager);
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  return e.operation === 'Update' ? `${s} using ${e.apiVersion}` : s;
}

const overlaps = (a: Path, b: Path): boolean => {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
};

const sameManager = (e: ManagedFieldsEntry, manager: string, operation: string, subresource?: string): boolean =>
  e.manager === manager && e.operation === operation && (e.subresource ?? '') === (subresource ?? '');

function getAt(obj: any, path: Path): unknown {
  let v = obj;
  for (const k of path) {
    if (!isObject(v)) return undefined;
    v = v[k];
  }
  return v;
}

function setAt(obj: any, path: Path, value: unknown): void {
  let v = obj;
  for (const k of path.slice(0, -1)) {
    if (!isObject(v[k])) v[k] = {};
    v = v[k];
  }
  v[path[path.length - 1]] = structuredClone(value);
}

function deleteAt(obj: any, path: Path): void {
  const parent = getAt(obj, path.slice(0, -1));
  if (isObject(parent)) delete parent[path[path.length - 1]];
}

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

function entry(
  manager: string,
  operation: 'Update' | 'Apply',
  apiVersion: string,
  paths: Path[],
  subresource?: string,
): ManagedFieldsEntry {
  return {
    manager,
    operation,
    apiVersion,
    time: now(),
    fieldsType: 'FieldsV1',
    fieldsV1: fieldsV1(paths),
    ...(subresource ? { subresource } : {}),
  };
}

/**
 * The managedFields after an Update (create, replace, JSON or merge patch) by `manager`: it owns what it
 * changed, nobody keeps a field that changed or went away.
 */
export function recordUpdate(
  entries: ManagedFieldsEntry[],
  manager: string,
  apiVersion: string,
  scope: Scope,
  before: any | undefined,
  after: any,
): ManagedFieldsEntry[] {
  const old = before ? leaves(before, scope) : new Map();
  const next = leaves(after, scope);
  const changed = [...next.values()].filter(
    (l) => !old.has(keyOf(l.path)) || !isDeepStrictEqual(old.get(keyOf(l.path))!.value, l.value),
  );
  const subresource = scope.toStatus ? 'status' : undefined;
  const result: ManagedFieldsEntry[] = [];
  let mine: ManagedFieldsEntry | undefined;
  for (const e of entries) {
    const inScope = (e.subresource === 'status') === scope.toStatus || !scope.statusSubresource;
    const kept = pathsOf(e.fieldsV1).filter(
      (p) => !inScope || (next.has(keyOf(p)) && !changed.some((c) => overlaps(c.path, p))),
    );
    if (sameManager(e, manager, 'Update', subresource)) {
      mine = { ...e, fieldsV1: fieldsV1(kept) };
      continue;
    }
    if (kept.length) result.push({ ...e, fieldsV1: fieldsV1(kept) });
  }
  if (!changed.length && !mine) return result;
  const paths = [...(mine ? pathsOf(mine.fieldsV1) : []), ...changed.map((c) => c.path)];
  const unique = [...new Map(paths.map((p) => [keyOf(p), p])).values()];
  if (unique.length) result.push(entry(manager, 'Update', apiVersion, unique, subresource));
  return result;
}

export type ApplyResult =
  { ok: true; object: any; managedFields: ManagedFieldsEntry[] } | { ok: false; conflicts: Conflict[] };

/** A server-side apply of `config` by `manager` to `current` (undefined: the apply creates the object). */
export function serverSideApply(
  entries: ManagedFieldsEntry[],
  manager: string,
  apiVersion: string,
  scope: Scope,
  current: any | undefined,
  config: any,
  force: boolean,
): ApplyResult {
  const subresource = scope.toStatus ? 'status' : undefined;
  const applied = leaves(config, scope);
  const others = entries.filter((e) => !sameManager(e, manager, 'Apply', subresource));
  const previous = entries.find((e) => sameManager(e, manager, 'Apply', subresource));
  const conflicts: Conflict[] = [];
  const taken = new Set<string>();
  for (const e of others) {
    for (const p of pathsOf(e.fieldsV1)) {
      for (const a of applied.values()) {
        if (!overlaps(a.path, p)) continue;
        const longer = a.path.length >= p.length ? a.path : p;
        if (isDeepStrictEqual(getAt(current, longer), getAt(config, longer))) continue;
        conflicts.push({ manager: printManager(e), field: displayPath(p) });
        taken.add(`${entries.indexOf(e)} ${keyOf(p)}`);
        break;
      }
    }
  }
  // structured-merge-diff reports conflicts as a sorted set
  conflicts.sort((a, b) => (a.manager === b.manager ? (a.field < b.field ? -1 : 1) : a.manager < b.manager ? -1 : 1));
  if (conflicts.length && !force) return { ok: false, conflicts };

  const object = structuredClone(current ?? {});
  for (const a of applied.values()) setAt(object, a.path, a.value);
  const remaining = others.map((e) => ({
    e,
    paths: pathsOf(e.fieldsV1).filter((p) => !taken.has(`${entries.indexOf(e)} ${keyOf(p)}`)),
  }));
  // fields this manager applied before and leaves out now go, unless someone else still owns them
  for (const p of previous ? pathsOf(previous.fieldsV1) : []) {
    if (applied.has(keyOf(p))) continue;
    if (remaining.some((r) => r.paths.some((q) => overlaps(p, q)))) continue;
    deleteAt(object, p);
  }
  const managedFields = [
    ...remaining.filter((r) => r.paths.length).map((r) => ({ ...r.e, fieldsV1: fieldsV1(r.paths) })),
    entry(
      manager,
      'Apply',
      apiVersion,
      [...applied.values()].map((a) => a.path),
      subresource,
    ),
  ];
  return { ok: true, object, managedFields };
}

/** The 409 the API server answers an apply with (managedfields NewConflictError). */
export function conflictMessage(conflicts: Conflict[]): string {
  if (conflicts.length === 1)
    return `Apply failed with 1 conflict: conflict with ${conflicts[0].manager}: ${conflicts[0].field}`;
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) byManager.set(c.manager, [...(byManager.get(c.manager) ?? []), c.field]);
  const lines = [...byManager.keys()]
    .sort()
    .flatMap((m) => [`conflicts with ${m}:`, ...byManager.get(m)!.map((f) => `- ${f}`)]);
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}
