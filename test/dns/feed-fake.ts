/**
 * A catalog at the change feed's boundary: `follow` only, its batches pushed by the test. It hands
 * out the very instance objects the test made, so a test can count what a consumer reads of them
 * (`countedReads`): the measure of whether an update is proportional to its change.
 */
import type { FeedBatch } from '../../src/catalog/feed/types.js';
import type { Catalog, ServiceInstance } from '../../src/catalog/types.js';

export interface FakeFeed {
  catalog: Catalog;
  /** Delivers a batch to every follower. */
  push(batch: Omit<FeedBatch, 'kv' | 'hosts' | 'reset'> & Partial<Pick<FeedBatch, 'hosts' | 'reset'>>): void;
}

/** A feed whose followers get a reset batch of `initial` right after they start following. */
export function fakeFeed(initial: readonly ServiceInstance[]): FakeFeed {
  const followers = new Set<(b: FeedBatch) => void>();
  const catalog = {
    follow(opts: { signal: AbortSignal }, onBatch: (b: FeedBatch) => void): Promise<void> {
      followers.add(onBatch);
      setImmediate(() => onBatch({ index: 1, reset: true, kv: [], hosts: [], instances: initial.map((i) => ({ id: i.id, instance: i })) }));
      return new Promise<void>((resolve) =>
        opts.signal.addEventListener('abort', () => {
          followers.delete(onBatch);
          resolve();
        }),
      );
    },
  } as unknown as Catalog;
  return { catalog, push: (b) => followers.forEach((f) => f({ reset: false, kv: [], hosts: [], ...b })) };
}

/** Counts reads of `service` on instances made by `counted` (every consumer groups by it). */
export const countedReads = { service: 0 };

/** `inst` with its `service` field read through a counting getter. */
export function counted(inst: ServiceInstance): ServiceInstance {
  const { service, ...rest } = inst;
  return Object.defineProperty({ ...rest }, 'service', {
    get: () => {
      countedReads.service++;
      return service;
    },
    enumerable: true,
  }) as ServiceInstance;
}
