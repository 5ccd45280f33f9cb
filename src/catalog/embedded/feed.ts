/**
 * The embedded store's change feed: the records it applied lately, kept in memory (a ring of the
 * last `size`), replayed to a follower from its index, then pushed as they are applied. A follower
 * whose index the ring no longer holds (or from 0) gets a reset batch built from the state instead.
 * Batches are delivered only once durable (as every answer of this store is), so no follower acts on
 * a change a crash could still take back.
 */
import type { HostStatus } from '../types.js';
import type { FeedBatch, FollowOptions } from '../feed/types.js';
import type { CatalogState, HostState, LogRecord } from './state.js';

export class RecentLog {
  private readonly ring: (LogRecord | undefined)[];
  private next = 0;
  private count = 0;
  private readonly listeners = new Set<(r: LogRecord) => void>();

  constructor(readonly size: number) {
    this.ring = new Array(Math.max(1, size));
  }

  push(record: LogRecord): void {
    this.ring[this.next] = record;
    this.next = (this.next + 1) % this.ring.length;
    this.count = Math.min(this.count + 1, this.ring.length);
    for (const l of this.listeners) l(record);
  }

  /**
   * The records after `from`, oldest first, or undefined when the ring no longer holds them all (the
   * store's indexes are consecutive, so it holds them all when its oldest record is at most
   * `from + 1`) or `from` is ahead of the store (an index from another store, or before a restore).
   */
  since(from: number, current: number): LogRecord[] | undefined {
    if (from > current) return undefined;
    if (from === current) return [];
    const kept: LogRecord[] = [];
    for (let i = this.count; i > 0; i--) kept.push(this.ring[(this.next - i + this.ring.length) % this.ring.length]!);
    if (!kept.length || kept[0]!.index > from + 1) return undefined;
    return kept.filter((r) => r.index > from);
  }

  listen(l: (r: LogRecord) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

export interface FeedSource {
  state: CatalogState;
  log: RecentLog;
  durable(): Promise<void>;
  /** Ended (the follower resolves) when the store closes. */
  onClose(end: () => void): () => void;
}

export function followStore(src: FeedSource, opts: FollowOptions, onBatch: (b: FeedBatch) => void): Promise<void> {
  return new Promise((resolve) => {
    let queue: LogRecord[] = [];
    let flushing = false;
    let ended = false;
    const stopListening = src.log.listen((r) => {
      queue.push(r);
      void flush();
    });
    const end = () => {
      if (ended) return;
      ended = true;
      stopListening();
      stopClose();
      opts.signal.removeEventListener('abort', end);
      resolve();
    };
    const stopClose = src.onClose(end);
    opts.signal.addEventListener('abort', end, { once: true });
    if (opts.signal.aborted) return end();

    const from = opts.from ?? 0;
    const replay = from > 0 ? src.log.since(from, src.state.index) : undefined;
    let first: FeedBatch | undefined;
    if (replay) queue = replay;
    else first = resetBatch(src.state, opts.prefix);

    async function flush(): Promise<void> {
      if (flushing) return;
      flushing = true;
      try {
        while (!ended && (first || queue.length)) {
          await src.durable().catch(() => undefined);
          if (ended) return;
          if (first) {
            const b = first;
            first = undefined;
            onBatch(b);
            continue;
          }
          const records = queue;
          queue = [];
          // A burst of transactions (a scheduler committing thousands of placements) is handed on
          // in batches of whole records of at most MAX_BATCH_CHANGES changes, with a turn of the
          // loop between them: one batch is applied by each consumer in one go, and 10,000 keys at
          // once held the loop for tens of milliseconds.
          for (let i = 0; i < records.length && !ended; ) {
            const end = batchEnd(records, i);
            onBatch(batchOf(records.slice(i, end), opts.prefix));
            i = end;
            if (i < records.length) await new Promise((r) => setImmediate(r));
          }
        }
      } finally {
        flushing = false;
      }
    }
    void flush();
  });
}

function hostStatus(h: HostState): HostStatus {
  return { ...h.record, alive: h.session !== undefined };
}

function resetBatch(state: CatalogState, prefix: string): FeedBatch {
  const batch: FeedBatch = { index: Math.max(1, state.index), reset: true, kv: [], hosts: [], instances: [] };
  for (const e of state.kv.values()) if (e.key.startsWith(prefix)) batch.kv.push({ key: e.key, entry: e });
  for (const h of state.hosts.values()) batch.hosts.push({ name: h.record.name, host: hostStatus(h) });
  for (const i of state.instances.values()) batch.instances.push({ id: i.id, instance: i });
  return batch;
}

/** Changes per batch past which a burst is split (at a record's end: never half a transaction). */
export const MAX_BATCH_CHANGES = 512;

/** Where the batch starting at record `from` ends: at least one record, then whole records up to the cap. */
function batchEnd(records: readonly LogRecord[], from: number): number {
  let n = records[from]!.changes.length;
  let end = from + 1;
  while (end < records.length && n + records[end]!.changes.length <= MAX_BATCH_CHANGES) n += records[end++]!.changes.length;
  return end;
}

/** Several records as one batch (applied whole by the consumer, in their order). */
function batchOf(records: LogRecord[], prefix: string): FeedBatch {
  const batch: FeedBatch = { index: records[records.length - 1]!.index, reset: false, kv: [], hosts: [], instances: [] };
  for (const r of records) {
    for (const c of r.changes) {
      switch (c.t) {
        case 'kv':
          if (c.entry.key.startsWith(prefix)) batch.kv.push({ key: c.entry.key, entry: c.entry });
          break;
        case 'kv-del':
          if (c.key.startsWith(prefix)) batch.kv.push({ key: c.key });
          break;
        case 'host':
          batch.hosts.push({ name: c.host.record.name, host: hostStatus(c.host) });
          break;
        case 'host-del':
          batch.hosts.push({ name: c.name });
          break;
        case 'instance':
          batch.instances.push({ id: c.instance.id, instance: c.instance });
          break;
        case 'instance-del':
          batch.instances.push({ id: c.id });
          break;
        default:
          break; // sessions are not part of the shared state a follower mirrors
      }
    }
  }
  return batch;
}
