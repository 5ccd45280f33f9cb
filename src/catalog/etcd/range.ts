/**
 * A prefix range read in pages, all at the revision of the first page, so a large listing is still
 * one consistent snapshot. gRPC clients refuse answers over 4 MiB by default and 100,000 allocations
 * are tens of MiB: one range would fail with RESOURCE_EXHAUSTED. Pages of `PAGE_KEYS` keep every
 * answer small whatever the key count (client.ts also raises the client's limit, for single values),
 * and small enough (~300 KiB of allocations) that a page arrives well within one call's deadline
 * on a loaded machine — a deadline missed three times in a row opens the client's circuit breaker.
 */
import type { IKeyValue } from 'etcd3';
import type { EtcdContext } from './context.js';

export const PAGE_KEYS = 1_000;

export interface RangeOptions {
  /** Read at this revision (default: the current one, pinned by the first page). */
  revision?: string;
  /** Only keys modified at or after this revision (etcd filters before paging). */
  minModRevision?: number;
  pageKeys?: number;
}

export async function rangeAll(ctx: EtcdContext, what: string, key: Buffer, end: Buffer, o: RangeOptions = {}): Promise<{ revision: number; kvs: IKeyValue[] }> {
  const limit = o.pageKeys ?? PAGE_KEYS;
  const filter = o.minModRevision ? { min_mod_revision: o.minModRevision } : {};
  const first = await ctx.call(what, () => ctx.client.kv.range({ key, range_end: end, limit, ...filter, ...(o.revision ? { revision: o.revision } : {}) }));
  const revision = o.revision ?? first.header.revision;
  const kvs = first.kvs;
  let more = first.more;
  while (more && kvs.length) {
    // The next page starts just after the last key read: that key plus a zero byte.
    const from = Buffer.concat([kvs[kvs.length - 1]!.key, Buffer.of(0)]);
    const page = await ctx.call(what, () => ctx.client.kv.range({ key: from, range_end: end, limit, revision, ...filter }));
    for (const kv of page.kvs) kvs.push(kv);
    more = page.more;
  }
  return { revision: Number(revision), kvs };
}
