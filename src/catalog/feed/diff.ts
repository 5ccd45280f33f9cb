/**
 * The change feed of a store without a delta API (Consul): three blocking listings — the KV prefix,
 * the hosts, the instances — each held on the client and diffed against the next answer. Consul's
 * blocking queries say only *that* something under a prefix changed, never what, so every wake-up
 * still transfers the whole listing (that is Consul's cost, not the consumer's: consumers get only
 * the difference). A `from` index cannot be honoured without a baseline, so the first batch is always
 * a reset. Because the diff is by content, an index that goes backwards (a Consul leader change or
 * snapshot restore) needs no reset: the next listing is diffed like any other, and the batch index
 * stays non-decreasing.
 */
import { sleep } from '../watch.js';
import type { BlockingOptions, Catalog, HostStatus, Indexed, KVEntry, ServiceInstance } from '../types.js';
import type { FeedBatch, FollowOptions } from './types.js';

const WAIT_MS = 30_000;

interface Source<T> {
  read(opts?: BlockingOptions): Promise<Indexed<T[]>>;
  id(value: T): string;
  same(a: T, b: T): boolean;
  put(batch: FeedBatch, id: string, value: T | undefined): void;
}

export async function diffFollow(catalog: Catalog, opts: FollowOptions, onBatch: (b: FeedBatch) => void): Promise<void> {
  const sources = [
    {
      read: (o?: BlockingOptions) => catalog.kvList(opts.prefix, o),
      id: (e: KVEntry) => e.key,
      same: (a: KVEntry, b: KVEntry) => a.modifyIndex === b.modifyIndex && a.session === b.session,
      put: (b: FeedBatch, key: string, entry?: KVEntry) => b.kv.push(entry ? { key, entry } : { key }),
    } satisfies Source<KVEntry>,
    {
      read: (o?: BlockingOptions) => catalog.listHosts(o),
      id: (h: HostStatus) => h.name,
      same: sameJson,
      put: (b: FeedBatch, name: string, host?: HostStatus) => b.hosts.push(host ? { name, host } : { name }),
    } satisfies Source<HostStatus>,
    {
      read: (o?: BlockingOptions) => catalog.listInstances(o),
      id: (i: ServiceInstance) => i.id,
      same: sameJson,
      put: (b: FeedBatch, id: string, instance?: ServiceInstance) => b.instances.push(instance ? { id, instance } : { id }),
    } satisfies Source<ServiceInstance>,
  ] as Source<unknown>[];

  let emitted = 0;
  const emit = (b: FeedBatch) => {
    b.index = Math.max(emitted, b.index);
    emitted = b.index;
    onBatch(b);
  };

  // The baseline: all three read, then one reset batch.
  let failures = 0;
  let first: Indexed<unknown[]>[] | undefined;
  while (!first && !opts.signal.aborted) {
    try {
      first = await Promise.all(sources.map((s) => s.read({ signal: opts.signal })));
    } catch (err) {
      if (opts.signal.aborted) return;
      opts.onError?.(err, ++failures);
      await sleep(backoff(failures), opts.signal);
    }
  }
  if (!first) return;
  const held = first.map((r, i) => new Map(r.value.map((v) => [sources[i]!.id(v), v])));
  const reset: FeedBatch = { index: Math.max(...first.map((r) => r.index)), reset: true, kv: [], hosts: [], instances: [] };
  sources.forEach((s, i) => {
    for (const [id, v] of held[i]!) s.put(reset, id, v);
  });
  emit(reset);

  await Promise.all(sources.map((s, i) => followOne(s, held[i]!, first![i]!.index, opts, emit)));
}

async function followOne<T>(source: Source<T>, held: Map<string, T>, index: number, opts: FollowOptions, emit: (b: FeedBatch) => void): Promise<void> {
  let failures = 0;
  while (!opts.signal.aborted) {
    let result: Indexed<T[]>;
    try {
      result = await source.read({ index, waitMs: WAIT_MS, signal: opts.signal });
      failures = 0;
    } catch (err) {
      if (opts.signal.aborted) return;
      opts.onError?.(err, ++failures);
      await sleep(backoff(failures), opts.signal);
      continue;
    }
    // Consul's rule: an index of 0, or one that went backwards, is read again from 1 / as given.
    index = Math.max(1, result.index);
    const batch: FeedBatch = { index: result.index, reset: false, kv: [], hosts: [], instances: [] };
    const seen = new Set<string>();
    for (const value of result.value) {
      const id = source.id(value);
      seen.add(id);
      const before = held.get(id);
      if (before === undefined || !source.same(before, value)) {
        held.set(id, value);
        source.put(batch, id, value);
      }
    }
    for (const id of [...held.keys()]) {
      if (seen.has(id)) continue;
      held.delete(id);
      source.put(batch, id, undefined);
    }
    if (batch.kv.length + batch.hosts.length + batch.instances.length > 0) emit(batch);
  }
}

function backoff(failures: number): number {
  return Math.min(5_000, 100 * 2 ** Math.min(failures - 1, 16));
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
