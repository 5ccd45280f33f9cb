import type { Table } from './state.js';

interface Waiter {
  table: Table;
  index: number;
  finish: (err?: Error) => void;
}

/**
 * Pending blocking reads. A read waits until its table's index passes the one it was given, its wait
 * time runs out (then it answers with the unchanged value, as Consul does), or its signal aborts.
 */
export class Waiters {
  private readonly pending = new Set<Waiter>();

  wait(table: Table, index: number, waitMs: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => waiter.finish(signal?.reason instanceof Error ? signal.reason : abortError());
      const timer = setTimeout(() => waiter.finish(), waitMs);
      const waiter: Waiter = {
        table,
        index,
        finish: (err) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          this.pending.delete(waiter);
          if (err) reject(err);
          else resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.add(waiter);
    });
  }

  wake(table: Table, index: number): void {
    for (const w of [...this.pending]) if (w.table === table && index > w.index) w.finish();
  }

  closeAll(err: Error): void {
    for (const w of [...this.pending]) w.finish(err);
  }
}

function abortError(): Error {
  const err = new Error('The operation was aborted');
  err.name = 'AbortError';
  return err;
}
