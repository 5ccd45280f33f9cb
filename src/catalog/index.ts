export * from './types.js';
export { watch, sleep, type WatchOptions } from './watch.js';
export { createEmbeddedCatalog, type EmbeddedOptions } from './embedded/index.js';
export { createEtcdCatalog, type EtcdCatalogOptions } from './etcd/index.js';
export { checkCatalogReachable, openCatalog, type OpenCatalogOptions } from './open.js';
export { followCatalog, diffFollow, type FeedBatch, type FollowOptions, type Follow, type KvChange, type HostChange, type InstanceChange } from './feed/index.js';
