import { crdFamilies } from './crd-families.js';
import { kubernetesResources } from './kubernetes.js';
import type { ApiResource } from './types.js';

/** Splits `apps/v1` into `{group: 'apps', version: 'v1'}` and `v1` into the core group. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/**
 * The API resources policyforge knows: lookups by kind, by plural and by group. Later sources win
 * (discovery from a live cluster overrides the built-in entries for the same group and plural).
 */
export class ApiCatalog {
  private readonly byGroupPlural = new Map<string, ApiResource>();
  private readonly pluralIndex = new Map<string, ApiResource[]>();
  private readonly kindIndex = new Map<string, ApiResource[]>();

  constructor(resources: readonly ApiResource[]) {
    for (const r of resources) this.byGroupPlural.set(`${r.group}/${r.plural}`, r);
    for (const r of this.byGroupPlural.values()) {
      push(this.pluralIndex, r.plural, r);
      push(this.kindIndex, r.kind.toLowerCase(), r);
    }
  }

  /** A new catalog with `resources` added over this one's. */
  merge(resources: readonly ApiResource[]): ApiCatalog {
    return new ApiCatalog([...this.byGroupPlural.values(), ...resources]);
  }

  all(): ApiResource[] {
    return [...this.byGroupPlural.values()];
  }

  /** The resource serving `kind` at `apiVersion` (`apps/v1`, `v1`), if any. */
  byKind(apiVersion: string, kind: string): ApiResource | undefined {
    const { group } = parseApiVersion(apiVersion);
    return this.kindIndex.get(kind.toLowerCase())?.find((r) => r.group === group);
  }

  /** Every resource with this kind, in any group (to say "X is served by group Y"). */
  kindsNamed(kind: string): ApiResource[] {
    return this.kindIndex.get(kind.toLowerCase()) ?? [];
  }

  /** Every resource with this plural, in any group. */
  byPlural(plural: string): ApiResource[] {
    return this.pluralIndex.get(plural) ?? [];
  }

  get(group: string, plural: string): ApiResource | undefined {
    return this.byGroupPlural.get(`${group}/${plural}`);
  }

  groups(): string[] {
    return [...new Set([...this.byGroupPlural.values()].map((r) => r.group))];
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

let builtin: ApiCatalog | undefined;

/** Kubernetes built-ins plus the common CRD families; shared and immutable. */
export function builtinCatalog(): ApiCatalog {
  builtin ??= new ApiCatalog([...kubernetesResources, ...crdFamilies]);
  return builtin;
}
