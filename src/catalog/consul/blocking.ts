import type { BlockingOptions } from '../types.js';
import { goDuration, waitMsOf } from './codec.js';

/** Query parameters and request timeout of one (possibly) blocking read. */
export interface BlockingQuery {
  /** Spread into the package's options: it sends them as `?index=&wait=`. */
  params: { index?: string; wait?: string };
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * https://developer.hashicorp.com/consul/api-docs/features/blocking: a read with `index` hangs until
 * the resource's index passes it or `wait` (at most 10 min) elapses; Consul adds up to wait/16 of
 * jitter, so the HTTP timeout allows for that plus network slack. Without an index the read is plain.
 */
export function blockingQuery(opts: BlockingOptions | undefined): BlockingQuery {
  const index = opts?.index ?? 0;
  if (!(index > 0)) return { params: {}, timeoutMs: 10_000, signal: opts?.signal };
  const waitMs = waitMsOf(opts?.waitMs);
  return {
    params: { index: String(Math.floor(index)), wait: goDuration(waitMs) },
    timeoutMs: waitMs + Math.ceil(waitMs / 16) + 10_000,
    signal: opts?.signal,
  };
}

/**
 * Consul's rule for clients (same page): an index of 0 must be treated as 1, otherwise the next
 * blocking read returns at once forever. An index lower than the one asked for (a leader change or a
 * snapshot restore) is handed back as is: the caller's `watch` loop then restarts from 0.
 */
export function sanitizeIndex(index: number): number {
  return index > 0 ? index : 1;
}

/**
 * Waits until the first of several blocking reads returns, then cancels the others. Used where one
 * port read spans several Consul resources (all raft indexes, so "changed after N" is comparable).
 */
export async function firstOf(reads: ((signal: AbortSignal) => Promise<unknown>)[], parent?: AbortSignal): Promise<void> {
  const ac = new AbortController();
  const onAbort = () => ac.abort(parent?.reason);
  if (parent?.aborted) onAbort();
  parent?.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.race(reads.map((read) => read(ac.signal)));
  } finally {
    parent?.removeEventListener('abort', onAbort);
    ac.abort();
  }
}
