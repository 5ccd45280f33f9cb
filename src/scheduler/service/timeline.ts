import { performance } from 'node:perf_hooks';

/** What a commit's transactions did: counted by `runBatched`, read by instrumentation. */
export interface TxnStats {
  /** Transactions sent (bisections of a refused one and fence checks included). */
  txns: number;
  /** Operations in them, the fence included. */
  ops: number;
  /** Transactions in flight now, and the most at once during the commit. */
  inFlight: number;
  peakInFlight: number;
  /** Sum of every transaction's round trip (ms): over commitMs, how much they overlapped. */
  txnMs: number;
}

/** Where one pass's wall time went (`onPass`, benchmarks): the phases run one after another. */
export interface PassTiming extends TxnStats {
  /** Waiting for the state view to show the previous commit's keys (read-your-writes). */
  waitMs: number;
  /** Applying what changed to the kept usage (or rebuilding it, on a full pass). */
  applyMs: number;
  planMs: number;
  /** The fence check and every transaction of the commit. */
  commitMs: number;
}

export function newTiming(): PassTiming {
  return { waitMs: 0, applyMs: 0, planMs: 0, commitMs: 0, txns: 0, ops: 0, inFlight: 0, peakInFlight: 0, txnMs: 0 };
}

/** Milliseconds since the last lap (or since construction). */
export class Laps {
  private at = performance.now();

  lap(): number {
    const now = performance.now();
    const ms = now - this.at;
    this.at = now;
    return ms;
  }
}
