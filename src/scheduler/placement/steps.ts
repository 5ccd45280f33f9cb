/**
 * A computation that pauses (`yield`) where its caller may let the event loop run: the scheduler's
 * passes are written as generators so the service can slice a long pass (100,000 placements, a
 * full safety pass) into steps of a few milliseconds, while tests and benchmarks run the same code
 * to completion in one go. Yield points are cheap; whether to actually give up the loop is the
 * driver's decision (service/slice.ts), taken by elapsed time.
 */
export type Steps<T> = Generator<void, T, void>;

/** Runs a stepped computation to its end without pausing (pure callers: tests, benchmarks). */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** Replicas placed (or hosts tried) between two yield points: ~30 µs each at 5,000 hosts. */
export const STEP_EVERY = 32;
