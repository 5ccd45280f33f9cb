import type { Fence } from './batches.js';
import type { CommitObserver, CommitResult } from './commit.js';
import type { PassTiming } from './timeline.js';

/** What one leader term lends a pass: its placement seed, the fence, the lock check. */
export interface PassTerm {
  seed: number;
  fence(): Fence | undefined;
  /** Asks the catalog whether the lock is still ours (the check before every commit). */
  holdsLock(): Promise<boolean>;
  /** Told as each unit of the commit lands (the service's counters). */
  landed?: CommitObserver['landed'];
}

export interface PassOutcome {
  result: CommitResult;
  /** Replicas left unplaced by the jobs this pass evaluated. */
  unplaced: number;
  /** The jobs evaluated (all of them on a full pass). */
  jobs: string[];
  full: boolean;
  /** Where the pass's time went (a view pass's phases; absent on the snapshot path). */
  timing?: PassTiming;
}

/**
 * How passes find their input: from a state view, evaluating only what changed (view-passes.ts),
 * or by reading the whole catalog each time (snapshot-passes.ts, for callers without a view).
 */
export interface PassEngine {
  /** A new leader term: grace clocks restart; follow changes, calling `changed` on each, until `signal`. */
  begin(signal: AbortSignal, changed: () => void): void;
  /** Called every interval: true when a pass is due (time-bound decisions, the safety pass). */
  tick(now: number): boolean;
  /** One pass: plan, then commit behind the fence. Undefined when there was nothing to do. */
  pass(term: PassTerm): Promise<PassOutcome | undefined>;
  /** Jobs to evaluate again shortly (a lost race). */
  retry(jobs: Iterable<string>): void;
}

export function unplacedOf(evaluations: readonly { failures: readonly { unplaced: number }[] }[]): number {
  return evaluations.reduce((n, ev) => n + ev.failures.reduce((k, f) => k + f.unplaced, 0), 0);
}
