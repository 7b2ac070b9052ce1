/** One API resource as the API server's discovery describes it. */
export interface ApiResource {
  /** API group; `""` is the core group. */
  group: string;
  /** Served versions, preferred first. */
  versions: string[];
  kind: string;
  /** The resource name used in webhook rules, e.g. `pods`, `iampolicies`. */
  plural: string;
  singular?: string;
  namespaced: boolean;
  /** Subresource names, e.g. `status`, `exec`, `scale`. */
  subresources: string[];
  shortNames?: string[];
  /** Where this entry came from. */
  source: 'builtin' | 'crd-family' | 'discovery';
}
