export type { ApiResource } from './types.js';
export { ApiCatalog, builtinCatalog, parseApiVersion } from './catalog.js';
export { regularPlural } from './crd-families.js';
export { discoverCatalog, discoverResources, type DiscoveryOptions } from './discovery.js';
