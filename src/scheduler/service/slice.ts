import { performance } from 'node:perf_hooks';
import type { Steps } from '../placement/index.js';

/** The longest the scheduler keeps the event loop between two yields (the goal is ≤ 5 ms per step). */
export const SLICE_MS = 4;

/**
 * Cooperative time slicing: a pass runs its steps until `budgetMs` has gone by since it last let
 * the loop run, then yields with setImmediate — so DNS, the proxies and the API, which share the
 * loop in `maestro up`, wait at most about one slice (plus the step in progress) for the scheduler.
 * `longestMs` is the longest stretch measured between two yields, for metrics and benchmarks.
 */
export class TimeSlice {
  private since = performance.now();
  longestMs = 0;

  constructor(private readonly budgetMs = SLICE_MS) {}

  /** Call at the start of a pass: time spent waiting elsewhere is not the scheduler's. */
  begin(): void {
    this.since = performance.now();
  }

  /** Yields to the event loop when this slice's budget is spent. */
  async pause(): Promise<void> {
    const ran = performance.now() - this.since;
    if (ran < this.budgetMs) return;
    await this.yieldNow(ran);
  }

  /** Records the stretch that ends here (a pass's last step) without yielding. */
  end(): void {
    this.longestMs = Math.max(this.longestMs, performance.now() - this.since);
  }

  /** Runs stepped work to its end, yielding between steps whenever the budget is spent. */
  async drive<T>(steps: Steps<T>): Promise<T> {
    this.begin();
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
      await this.pause();
    }
  }

  private async yieldNow(ran: number): Promise<void> {
    this.longestMs = Math.max(this.longestMs, ran);
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.since = performance.now();
  }
}
