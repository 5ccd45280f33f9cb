/**
 * Blocking queries against the view: each waiter holds one timer and one abort listener, and is
 * released — timer cleared, listener removed — by whichever comes first: the view's index passing
 * the one it waits on, its wait running out, its signal (a client that went away), or the view
 * closing. Waiters are kept ordered by the index they wait on, so a change wakes exactly those whose
 * index it passed without scanning the rest.
 */
interface Waiter {
  index: number;
  resolve(): void;
}

export class IndexWaiters {
  /** Sorted by `index`, ascending. */
  private waiters: Waiter[] = [];

  get size(): number {
    return this.waiters.length;
  }

  /**
   * Resolves once `current()` passes `index` (after `wake`), after `waitMs`, or on `wakeAll`;
   * rejects with an AbortError when `signal` aborts.
   */
  wait(index: number, waitMs: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError());
    return new Promise<void>((resolve, reject) => {
      const finish = (err?: Error) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        if (err) reject(err);
        else resolve();
      };
      const onAbort = () => finish(abortError());
      const waiter: Waiter = { index, resolve: () => finish() };
      const timer = setTimeout(() => finish(), Math.max(0, waitMs));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.insert(waiter);
    });
  }

  /** Releases every waiter whose index `index` passed. */
  wake(index: number): void {
    let n = 0;
    while (n < this.waiters.length && this.waiters[n]!.index < index) n++;
    for (const w of this.waiters.slice(0, n)) w.resolve();
  }

  /** Releases everyone (the index went backwards: the indexes they wait on mean nothing now; or close). */
  wakeAll(): void {
    for (const w of [...this.waiters]) w.resolve();
  }

  private insert(w: Waiter): void {
    let lo = 0;
    let hi = this.waiters.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.waiters[mid]!.index <= w.index) lo = mid + 1;
      else hi = mid;
    }
    this.waiters.splice(lo, 0, w);
  }
}

export function abortError(): Error {
  const err = new Error('The operation was aborted');
  err.name = 'AbortError';
  return err;
}
