export type { ApiResource } from './types.js';
export { ApiCatalog, builtinCatalog, parseApiVersion } from './catalog.js';
