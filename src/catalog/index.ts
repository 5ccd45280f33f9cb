export * from './types.js';
export { watch, sleep, type WatchOptions } from './watch.js';
export { createEmbeddedCatalog, type EmbeddedOptions } from './embedded/index.js';
export { openCatalog, type OpenCatalogOptions } from './open.js';
