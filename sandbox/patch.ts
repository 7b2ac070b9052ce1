/**
 * The JSON Patch jsPolicy answers a Mutating policy with: controller-runtime's PatchResponseFromRaw
 * (pkg/webhook/handler.go 113-127) computes it with gomodules.xyz/jsonpatch/v2 CreatePatch. Reimplemented
 * here from that algorithm (vendored at loft-sh/jspolicy d524b26, jsonpatch.go 60-334), quirks included, so
 * patches read as a cluster would send them: removing one element of a list of scalars (or of flat
 * objects) is one `remove`, not a cascade of `replace`s.
 */
export interface PatchOperation {
  op: 'add' | 'remove' | 'replace';
  path: string;
  value?: unknown;
}

type Json = null | string | number | boolean | Json[] | { [k: string]: Json };

const kindOf = (v: Json): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

export function createPatch(original: unknown, modified: unknown): PatchOperation[] {
  // Both sides go through JSON as Go's json.Unmarshal sees them.
  const a = JSON.parse(JSON.stringify(original ?? null)) as Json;
  const b = JSON.parse(JSON.stringify(modified ?? null)) as Json;
  return values(a, b, '', []);
}

function pointer(path: string, part: string | number): string {
  const key = String(part).replace(/~/g, '~0').replace(/\//g, '~1');
  if (path === '') return `/${key}`;
  return path.endsWith('/') ? path + key : `${path}/${key}`;
}

function op(kind: PatchOperation['op'], path: string, value?: Json): PatchOperation {
  return kind === 'remove' ? { op: kind, path } : { op: kind, path, value };
}

function values(a: Json, b: Json, path: string, patch: PatchOperation[]): PatchOperation[] {
  if (a === null && b === null) return patch;
  if (kindOf(a) !== kindOf(b)) return [...patch, op('replace', path, b)];
  if (Array.isArray(a)) {
    const bt = b as Json[];
    if (simpleArray(a) && simpleArray(bt)) return [...patch, ...editDistance(a, bt, path)];
    const n = Math.min(a.length, bt.length);
    for (let i = a.length - 1; i >= n; i--) patch.push(op('remove', pointer(path, i)));
    for (let i = n; i < bt.length; i++) patch.push(op('add', pointer(path, i), bt[i]));
    for (let i = 0; i < n; i++) patch = values(a[i], bt[i], pointer(path, i), patch);
    return patch;
  }
  if (a !== null && typeof a === 'object') {
    const bo = b as Record<string, Json>;
    for (const key of Object.keys(bo)) {
      const p = pointer(path, key);
      if (!Object.prototype.hasOwnProperty.call(a, key)) patch.push(op('add', p, bo[key]));
      else patch = values(a[key], bo[key], p, patch);
    }
    for (const key of Object.keys(a))
      if (!Object.prototype.hasOwnProperty.call(bo, key)) patch.push(op('remove', pointer(path, key)));
    return patch;
  }
  return a === b ? patch : [...patch, op('replace', path, b)];
}

const basic = (v: Json): boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** isSimpleArray: scalars only, or (upstream's quirk) a first object element whose values are all scalars or null. */
function simpleArray(list: Json[]): boolean {
  for (const v of list) {
    if (basic(v)) continue;
    if (v !== null && typeof v === 'object' && !Array.isArray(v))
      return Object.values(v).every((x) => x === null || basic(x));
    return false;
  }
  return true;
}

function deepEqual(x: Json, y: Json): boolean {
  return (
    JSON.stringify(x) === JSON.stringify(y) ||
    (kindOf(x) === 'object' &&
      kindOf(y) === 'object' &&
      sameObject(x as Record<string, Json>, y as Record<string, Json>))
  );
}

function sameObject(x: Record<string, Json>, y: Record<string, Json>): boolean {
  const kx = Object.keys(x);
  if (kx.length !== Object.keys(y).length) return false;
  return kx.every((k) => Object.prototype.hasOwnProperty.call(y, k) && deepEqual(x[k], y[k]));
}

/** Levenshtein distance over the elements, then the operations read back from the table. */
function editDistance(s: Json[], t: Json[], path: string): PatchOperation[] {
  const m = s.length;
  const n = t.length;
  const d: number[][] = Array.from({ length: m + 1 }, (_, i) =>
    Array.from({ length: n + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let j = 1; j <= n; j++) {
    for (let i = 1; i <= m; i++) {
      d[i][j] = deepEqual(s[i - 1], t[j - 1])
        ? d[i - 1][j - 1]
        : Math.min(d[i - 1][j - 1] + 1, d[i][j - 1] + 1, d[i - 1][j] + 1);
    }
  }
  const out: PatchOperation[] = [];
  let i = m;
  let j = n;
  for (;;) {
    if (i > 0 && d[i - 1][j] + 1 === d[i][j]) {
      out.push(op('remove', pointer(path, i - 1)));
      i--;
    } else if (j > 0 && d[i][j - 1] + 1 === d[i][j]) {
      out.push(op('add', pointer(path, i), t[j - 1]));
      j--;
    } else if (i > 0 && j > 0 && d[i - 1][j - 1] + 1 === d[i][j]) {
      if (basic(s[0])) out.push(op('replace', pointer(path, i - 1), t[j - 1]));
      else out.push(...values(s[i - 1], t[j - 1], pointer(path, i - 1), []));
      i--;
      j--;
    } else if (i > 0 && j > 0 && d[i - 1][j - 1] === d[i][j]) {
      i--;
      j--;
    } else return out;
  }
}
