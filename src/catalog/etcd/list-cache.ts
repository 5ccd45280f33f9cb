/**
 * Incremental listings of large prefixes. Re-listing 100,000 allocations means tens of MiB encoded by
 * etcd and decoded here on every read — the scheduler and the API each list them several times a
 * second, and that decoding was most of their CPU. A prefix listed with at least `MIN_CACHED` keys is
 * kept (key order, entries) with the revision it was read at; the next listing is, at one pinned
 * revision R:
 *   1. a count-only range (R and the number of keys now under the prefix),
 *   2. the keys modified since the kept revision (etcd filters by `min_mod_revision` server-side),
 * merged into the kept listing. A deletion is invisible to step 2 but not to step 1: after the merge
 * the kept listing holds every key it had plus every key changed, so its size equals the count only if
 * nothing was deleted — otherwise the prefix is listed in full at R. Either way the answer is exactly
 * the prefix at R, as a plain listing would be (same index, same entries, same order).
 *
 * Reads of one prefix run one after another (each still reads at a revision after it was called, so
 * a read never misses a write that completed before it). At most `MAX_PREFIXES` are kept.
 */
import type { IKeyValue } from 'etcd3';
import type { Indexed, KVEntry } from '../types.js';
import type { EtcdContext } from './context.js';
import { rangeAll } from './range.js';

export const MIN_CACHED = 1_000;
const MAX_PREFIXES = 16;
const ASCII = /^[\x00-\x7f]*$/;

interface Kept {
  revision: number;
  /** etcd key → entry; `order` holds the same keys in etcd's (byte) order. */
  entries: Map<string, KVEntry>;
  order: string[];
}

export class ListCache {
  private readonly kept = new Map<string, Kept>();
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly ctx: EtcdContext,
    private readonly toEntry: (kv: IKeyValue) => KVEntry,
  ) {}

  list(key: Buffer, end: Buffer): Promise<Indexed<KVEntry[]>> {
    const id = key.toString('latin1');
    const run = (this.queues.get(id) ?? Promise.resolve()).catch(() => undefined).then(() => this.read(id, key, end));
    this.queues.set(id, run);
    void run.catch(() => undefined).finally(() => this.queues.get(id) === run && this.queues.delete(id));
    return run;
  }

  private async read(id: string, key: Buffer, end: Buffer): Promise<Indexed<KVEntry[]>> {
    const kept = this.kept.get(id);
    if (!kept) return this.full(id, key, end);
    this.kept.delete(id); // kept again below once consistent; meanwhile a failure leaves nothing stale
    const head = await this.ctx.call('list', () => this.ctx.client.kv.range({ key, range_end: end, count_only: true }));
    const revision = head.header.revision;
    if (Number(revision) > kept.revision) {
      const changed = await rangeAll(this.ctx, 'list', key, end, { revision, minModRevision: kept.revision + 1, pageKeys: 5_000 });
      const created: string[] = [];
      for (const kv of changed.kvs) {
        const k = kv.key.toString();
        if (!kept.entries.has(k)) created.push(k);
        kept.entries.set(k, this.toEntry(kv));
      }
      // A deletion (size ≠ count) or a key whose UTF-16 order may differ from etcd's byte order: list afresh.
      if (kept.entries.size !== Number(head.count) || !created.every((k) => ASCII.test(k))) return this.full(id, key, end, revision);
      if (created.length) kept.order = mergeSorted(kept.order, created.sort());
      kept.revision = Number(revision);
    }
    this.keep(id, kept);
    return { index: Number(revision), value: kept.order.map((k) => ({ ...kept.entries.get(k)! })) };
  }

  private async full(id: string, key: Buffer, end: Buffer, revision?: string): Promise<Indexed<KVEntry[]>> {
    const res = await rangeAll(this.ctx, 'list', key, end, revision ? { revision } : {});
    const value = res.kvs.map(this.toEntry);
    if (value.length >= MIN_CACHED) {
      const order = res.kvs.map((kv) => kv.key.toString());
      this.keep(id, { revision: res.revision, entries: new Map(order.map((k, i) => [k, value[i]!])), order });
    }
    return { index: res.revision, value: value.map((e) => ({ ...e })) };
  }

  private keep(id: string, kept: Kept): void {
    this.kept.set(id, kept);
    if (this.kept.size > MAX_PREFIXES) this.kept.delete(this.kept.keys().next().value!);
  }
}

function mergeSorted(a: string[], b: string[]): string[] {
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) out.push(a[i]! < b[j]! ? a[i++]! : b[j++]!);
  while (i < a.length) out.push(a[i++]!);
  while (j < b.length) out.push(b[j++]!);
  return out;
}
