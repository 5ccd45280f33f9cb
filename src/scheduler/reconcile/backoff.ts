import { formatDuration } from '../spec/duration.js';
import { JOB_DEFAULTS } from '../spec/defaults.js';
import type { PassContext } from './context.js';
import { instanceName, type AllocStatus, type Allocation, type DelayedReplica, type Job, type Reschedule } from '../types.js';

/**
 * Reschedule back-off (Nomad's `reschedule { delay_function = "exponential" }`, Kubernetes'
 * CrashLoopBackOff), kept pure: a replica's failure history lives on its allocations. A replacement
 * carries `previousFailures` from the allocation it replaces; an allocation stopped as failed is
 * stamped with `failures` and `rescheduleAt` and kept (stop-desired) until its replacement is placed.
 */

/** An allocation that lived this long before failing starts the count afresh (Kubernetes: 10 min). */
export const RESET_AFTER_MS = 10 * 60_000;

export function policyOf(job: Job): Reschedule {
  return job.reschedule ?? JOB_DEFAULTS.reschedule;
}

/** Consecutive failures of the replica, counting `a`'s (which just failed). */
export function failuresOf(a: Allocation, status: AllocStatus | undefined, now: number): number {
  // The agent rewrites a status only when it changes, so a failed status's updatedAt is when it failed.
  const failedAt = status?.updatedAt ?? now;
  return failedAt - a.createdAt >= RESET_AFTER_MS ? 1 : (a.previousFailures ?? 0) + 1;
}

/** The first failure is replaced at once; the n-th waits delay · 2^(n-2), capped at maxDelay. */
export function backoffMs(failures: number, policy: Reschedule): number {
  if (failures <= 1) return 0;
  return Math.min(policy.maxDelayMs, policy.delayMs * 2 ** Math.min(failures - 2, 52));
}

/** `a` as it is stopped for failing: stamped with its replica's failure count and back-off. */
/** Retires a failed allocation as a tombstone stamped with its failure count and next attempt. */
export function retireFailed(ctx: PassContext, job: Job, a: Allocation): Allocation {
  const stamped = stampFailed(a, ctx.state.statuses.get(a.id), ctx.state.now, policyOf(job));
  ctx.retire(stamped);
  return stamped;
}

export function stampFailed(a: Allocation, status: AllocStatus | undefined, now: number, policy: Reschedule): Allocation {
  const failures = failuresOf(a, status, now);
  return { ...a, failures, rescheduleAt: now + backoffMs(failures, policy) };
}

/** A stopped, failed allocation whose replica may still be waiting for its replacement. */
export function isTombstone(a: Allocation): boolean {
  return a.desired === 'stop' && a.rescheduleAt !== undefined;
}

/** The latest tombstone per key (an ordinal, or a host for global jobs); the others are returned as stale. */
export function latestTombstones<K>(tombstones: readonly Allocation[], key: (a: Allocation) => K): { latest: Map<K, Allocation>; stale: Allocation[] } {
  const latest = new Map<K, Allocation>();
  const stale: Allocation[] = [];
  for (const t of tombstones) {
    const k = key(t);
    const other = latest.get(k);
    if (other === undefined) latest.set(k, t);
    else if (newer(t, other)) {
      stale.push(other);
      latest.set(k, t);
    } else stale.push(t);
  }
  return { latest, stale };
}

/**
 * A replacement is placed no earlier than its predecessor's `rescheduleAt` and fails later still, so
 * the later `rescheduleAt` is the later failure (createdAt can tie: both placed in one instant).
 */
function newer(a: Allocation, b: Allocation): boolean {
  if (a.rescheduleAt !== b.rescheduleAt) return a.rescheduleAt! > b.rescheduleAt!;
  if (a.failures !== b.failures) return (a.failures ?? 0) > (b.failures ?? 0);
  return a.createdAt !== b.createdAt ? a.createdAt > b.createdAt : a.id > b.id;
}

export function delayedReplica(job: Job, t: Allocation): DelayedReplica {
  const failures = t.failures ?? 1;
  const delay = formatDuration(backoffMs(failures, policyOf(job)));
  return {
    instance: instanceName(job.name, t.ordinal),
    ordinal: t.ordinal,
    failures,
    rescheduleAt: t.rescheduleAt!,
    message: `${instanceName(job.name, t.ordinal)} crash-looping: next attempt in ${delay} (${failures} failures)`,
  };
}
