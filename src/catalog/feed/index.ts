import type { Catalog } from '../types.js';
import { diffFollow } from './diff.js';
import type { FeedBatch, FollowOptions } from './types.js';

export * from './types.js';
export { diffFollow } from './diff.js';

/** The catalog's own feed when it has one, else blocking listings diffed on the client (diff.ts). */
export function followCatalog(catalog: Catalog, opts: FollowOptions, onBatch: (b: FeedBatch) => void): Promise<void> {
  return catalog.follow ? catalog.follow(opts, onBatch) : diffFollow(catalog, opts, onBatch);
}
