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

  /**
   * Yields to the event loop when this slice's budget is spent. Concurrent callers (the commit's
   * transactions in flight) take the following turns one each: woken together with a fresh budget
   * each, they all ran back to back in one turn of the loop (8 × 4 ms and more).
   */
  async pause(): Promise<void> {
    const ran = performance.now() - this.since;
    if (ran < this.budgetMs) return;
    this.longestMs = Math.max(this.longestMs, ran);
    for (;;) {
      const turn = (this.turn ??= this.nextTurn());
      await turn;
      // The first caller woken by a turn runs in it, the others wait for the next: they wake before
      // it has run (microtasks), so the budget cannot tell them yet how much it will leave.
      if (this.taken !== turn) {
        this.taken = turn;
        return;
      }
    }
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

  private turn: Promise<void> | undefined;
  private taken: Promise<void> | undefined;

  private nextTurn(): Promise<void> {
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        this.turn = undefined;
        this.since = performance.now();
        resolve();
      }),
    );
  }
}
