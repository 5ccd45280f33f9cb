/**
 * The etcd change feed: one watch on the whole cluster prefix (hosts, instances and KV, so the keys
 * of one txn arrive together), from the follower's revision + 1. It is etcd's own delta: a batch is
 * what changed, whatever the size of the state.
 *
 * The follower tracks the revision itself (the last event it delivered) rather than trusting the
 * `etcd3` package's resume: the package moves a watcher's start revision to the header revision of
 * each response, which during a catch-up (etcd sends old events in responses stamped with the current
 * revision) would skip events if the stream dropped then. So on a dropped stream the watcher is
 * cancelled and a new one is created from our revision, after a back-off.
 *
 * A reset (a full listing at one revision, then a watch from there) happens at the start (from 0),
 * when etcd cancels the watch (its start revision was compacted away) and when etcd's revision is
 * below ours (a member restored from an older snapshot, or a new cluster on the same endpoints).
 */
import type { IKeyValue, IWatchResponse, Watcher } from 'etcd3';
import { sleep } from '../watch.js';
import type { FeedBatch, FollowOptions } from '../feed/types.js';
import type { EtcdContext } from './context.js';
import { FeedDecoder, type EtcdEvent } from './feed-decode.js';
import { prefixEnd } from './keys.js';
import { rangeAll } from './range.js';

type Ended = 'aborted' | 'reset' | 'disconnected';

export async function followEtcd(ctx: EtcdContext, opts: FollowOptions, onBatch: (b: FeedBatch) => void): Promise<void> {
  const decoder = new FeedDecoder(ctx, opts.prefix);
  const { keys } = ctx;
  let revision = opts.from ?? 0;
  let needReset = revision <= 0;
  let failures = 0;
  const fail = async (err: unknown) => {
    opts.onError?.(err, ++failures);
    await sleep(Math.min(2_000, 100 * 2 ** Math.min(failures - 1, 10)), opts.signal);
  };
  if (!needReset) {
    // The hosts as they were at `from`, to report a later change of either of a host's two keys.
    try {
      const key = Buffer.from(keys.hostsPrefix);
      decoder.seedHosts((await rangeAll(ctx, 'follow', key, prefixEnd(key), { revision: String(revision) })).kvs);
    } catch {
      needReset = true; // compacted (or unreachable): start from a full listing instead
    }
  }
  while (!opts.signal.aborted && !ctx.isClosed()) {
    if (needReset) {
      try {
        const reset = await fullListing(ctx, decoder, opts.prefix);
        revision = reset.index;
        needReset = false;
        onBatch(reset);
      } catch (err) {
        if (opts.signal.aborted || ctx.isClosed()) return;
        await fail(err);
        continue;
      }
    }
    const ended = await watchFrom(ctx, revision, opts.signal, {
      connected: () => (failures = 0),
      batch: (events) => {
        const b = decoder.events(events);
        revision = Math.max(revision, b.index);
        onBatch(b);
      },
    });
    if (ended === 'aborted') return;
    if (ended === 'reset') needReset = true;
    else await fail(new Error('etcd watch stream lost; resuming from our revision'));
  }
}

/** Hosts, instances and the KV prefix, all read at the revision of the first range, as a reset batch. */
async function fullListing(ctx: EtcdContext, decoder: FeedDecoder, prefix: string): Promise<FeedBatch> {
  const ranges = [ctx.keys.hostsPrefix, ctx.keys.instancesPrefix, ctx.keys.kv(prefix)].map((p) => Buffer.from(p));
  const first = await rangeAll(ctx, 'follow', ranges[0]!, prefixEnd(ranges[0]!));
  const kvs: IKeyValue[] = [...first.kvs];
  for (const key of ranges.slice(1)) {
    for (const kv of (await rangeAll(ctx, 'follow', key, prefixEnd(key), { revision: String(first.revision) })).kvs) kvs.push(kv);
  }
  return decoder.reset(first.revision, kvs);
}

interface WatchHandlers {
  connected(): void;
  batch(events: EtcdEvent[]): void;
}

/** Watches the cluster prefix from `revision + 1` until the stream drops, etcd cancels it, or abort. */
function watchFrom(ctx: EtcdContext, revision: number, signal: AbortSignal, on: WatchHandlers): Promise<Ended> {
  return new Promise((resolve) => {
    let watcher: Watcher | undefined;
    let done = false;
    const finish = (how: Ended) => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      ctx.pending.delete(onClose);
      if (watcher) void watcher.cancel().catch(() => undefined);
      resolve(how);
    };
    const onAbort = () => finish('aborted');
    const onClose = () => finish('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
    ctx.pending.add(onClose);
    if (signal.aborted) return finish('aborted');
    const start = Buffer.from(ctx.keys.prefix);
    try {
      watcher = ctx.client.watch().inRange({ start, end: prefixEnd(start) }).startRevision(String(revision + 1)).watcher();
    } catch {
      return finish(ctx.isClosed() ? 'aborted' : 'disconnected');
    }
    watcher.on('connected', (res: IWatchResponse) => {
      // etcd is behind what we applied: restored from an older snapshot, or another cluster.
      if (Number(res.header.revision) < revision) return finish('reset');
      on.connected();
    });
    watcher.on('data', (res: IWatchResponse) => {
      if (done || !res.events.length) return; // progress notifications carry no events
      on.batch(res.events as EtcdEvent[]);
    });
    // A cancelled watch: its start revision was compacted (or permissions changed). List afresh.
    watcher.on('error', () => finish('reset'));
    watcher.on('disconnected', () => finish('disconnected'));
  });
}
