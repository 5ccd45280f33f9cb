import { performance } from 'node:perf_hooks';
import type { Catalog, TxnOp } from '../../catalog/types.js';
import { txnWeight } from '../../catalog/txn.js';
import type { TxnStats } from './timeline.js';

/** The leader lock and the session that must still hold it for a write to land. */
export interface Fence {
  key: string;
  session: string;
}

/** Writes that must land together (or not at all), and what to count either way. */
export interface Unit {
  ops: TxnOp[];
  done(): void;
  conflict(): void;
}

/**
 * Transactions in flight at once. One etcd txn waits for one WAL fsync whatever its size, so
 * throughput comes from both batch size and overlap; measured on loopback etcd 3.4, 4–8 txns of
 * ~128 ops in flight commit ~2,300–2,600 keys/s on a loaded 2-core machine against ~300/s for
 * sequential single puts (bench/cluster/README.md).
 */
export const IN_FLIGHT = 8;

/**
 * Operations per transaction at most, whatever the store takes: the embedded store applies a
 * transaction synchronously (~30 µs an op with its feed), so its 1,024-op transactions held the
 * loop 30–45 ms each. 128 is about etcd's own limit (127), so etcd's batches are unchanged.
 */
export const MAX_OPS_PER_TXN = 128;

/**
 * Commits units in transactions as large as the catalog takes, each led by the fence check. A
 * transaction refused as a whole is either the fence (deposed: stop, report false) or a conflict in
 * one of its units — then its halves are tried, and theirs, so one lost race costs one unit, not a
 * batch, in about 2·log2(batch) more transactions.
 */
export async function runBatched(
  catalog: Catalog,
  units: Unit[],
  fence: Fence | undefined,
  stats?: TxnStats,
  inFlight = IN_FLIGHT,
  pause: () => Promise<void> = async () => undefined,
): Promise<boolean> {
  const head: TxnOp[] = fence ? [{ verb: 'check', key: fence.key, session: fence.session }] : [];
  const budget = Math.min(catalog.maxTxnOps, MAX_OPS_PER_TXN) - head.length;
  // Batches are cut as workers take them, so cutting 100,000 units is spread between round trips.
  let next = 0;
  const take = (): Unit[] => {
    const batch: Unit[] = [];
    let weight = 0;
    while (next < units.length) {
      const u = units[next]!;
      const w = u.ops.reduce((n, op) => n + txnWeight(op), 0);
      if (batch.length && weight + w > budget) break;
      batch.push(u);
      weight += w;
      next++;
    }
    return batch;
  };

  let deposed = false;
  const send = async (ops: TxnOp[]): Promise<boolean> => {
    if (!stats) return catalog.kvTxn(ops);
    const t0 = performance.now();
    stats.txns++;
    stats.ops += ops.length;
    stats.peakInFlight = Math.max(stats.peakInFlight, ++stats.inFlight);
    try {
      return await catalog.kvTxn(ops);
    } finally {
      stats.inFlight--;
      stats.txnMs += performance.now() - t0;
    }
  };
  const fenced = async (): Promise<boolean> => !fence || (await send(head));
  const commit = async (b: Unit[]): Promise<void> => {
    if (deposed) return;
    if (await send([...head, ...b.flatMap((u) => u.ops)])) {
      for (const u of b) u.done();
      return;
    }
    if (!(await fenced())) {
      deposed = true;
      return;
    }
    if (b.length === 1) return b[0]!.conflict();
    const half = Math.ceil(b.length / 2);
    await commit(b.slice(0, half));
    await commit(b.slice(half));
  };
  const worker = async (): Promise<void> => {
    // A round trip does not always let the loop run: the embedded store answers in microtasks, so
    // 50,000 placements committed back to back held the loop ~1.5 s. `pause` yields by elapsed time.
    while (!deposed && next < units.length) {
      await commit(take());
      // Not after the last: a small commit (one job's pass) should not wait a turn for nothing.
      if (next < units.length) await pause();
    }
  };
  const batches = Math.ceil(units.length / Math.max(1, Math.floor(budget / 2)));
  await Promise.all(Array.from({ length: Math.min(inFlight, batches) }, worker));
  return !deposed;
}
