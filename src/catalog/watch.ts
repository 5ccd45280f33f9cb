import type { BlockingOptions, Indexed } from './types.js';

export interface WatchOptions {
  signal: AbortSignal;
  /** Upper bound of one blocking read. */
  waitMs?: number;
  /** Back-off after a failed read: doubles from `minBackoffMs` up to `maxBackoffMs`. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Told about every failed read (the loop itself never gives up). */
  onError?: (err: unknown, attempt: number) => void;
}

/**
 * Follows a blocking read forever: calls `onChange` with the first value and then with every value
 * read at a higher index, until `signal` aborts. A failed read (catalog outage) is retried with
 * back-off while consumers keep serving the last value they were given — never a crash.
 *
 * An index that goes backwards (a Consul leader change or a store reset) restarts from 0, as
 * Consul's documentation on blocking queries asks of clients.
 */
export async function watch<T>(
  read: (opts: BlockingOptions) => Promise<Indexed<T>>,
  onChange: (value: T, index: number) => void,
  opts: WatchOptions,
): Promise<void> {
  const { signal } = opts;
  const minBackoff = opts.minBackoffMs ?? 100;
  const maxBackoff = opts.maxBackoffMs ?? 5_000;
  let index = 0;
  let failures = 0;
  while (!signal.aborted) {
    try {
      const result = await read({ index, waitMs: opts.waitMs ?? 30_000, signal });
      failures = 0;
      if (result.index < index) {
        index = 0;
        continue;
      }
      if (result.index > index || index === 0) {
        index = Math.max(result.index, 1);
        onChange(result.value, result.index);
      }
    } catch (err) {
      if (signal.aborted) return;
      failures++;
      opts.onError?.(err, failures);
      const delay = Math.min(maxBackoff, minBackoff * 2 ** Math.min(failures - 1, 16));
      await sleep(delay, signal);
    }
  }
}

/** Resolves after `ms`, or early (without rejecting) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
