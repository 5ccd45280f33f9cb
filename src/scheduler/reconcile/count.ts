import { placePinned, placeReplicasSteps, type Steps } from '../placement/index.js';
import type { Allocation, DelayedReplica, Evaluation, JobRecord } from '../types.js';
import { delayedReplica, latestTombstones, retireFailed } from './backoff.js';
import { better, claimInFlight, classify } from './classify.js';
import type { PassContext } from './context.js';
import { planRollout } from './rollout.js';
import { splitByHome } from './sticky.js';

/**
 * Count-based jobs: replicas `<job>-0 … <job>-(count-1)`. Lost, failed and superseded allocations go;
 * of two for one ordinal the better stays; surplus goes highest ordinal first; missing ordinals and
 * the rollout's batch are placed, each replacement keeping its ordinal. A replica that keeps failing
 * is replaced only once its back-off has passed (`tombstones`: its failed allocations, kept stopped).
 */
export function* reconcileCount(ctx: PassContext, record: JobRecord, allocs: readonly Allocation[], tombstones: readonly Allocation[]): Steps<Evaluation> {
  const { job } = record;
  const { now, statuses } = ctx.state;
  const kept = new Map<number, Allocation>();
  const failed: Allocation[] = [];
  const failedNow: Allocation[] = [];
  /** Failure counts replacements inherit: a host going down is no failure, but does not erase the history. */
  const carry = new Map<number, number>();
  let stopped = 0;
  for (const a of allocs) {
    const cls = classify(a, ctx.hosts, ctx.state);
    if (cls !== 'ok') {
      stopped++;
      if (cls === 'failed') {
        failed.push(a);
        failedNow.push(retireFailed(ctx, job, a));
        continue;
      }
      ctx.retire(a);
      if (cls === 'lost' && a.previousFailures) carry.set(a.ordinal, a.previousFailures);
      continue;
    }
    const other = kept.get(a.ordinal);
    if (other === undefined) kept.set(a.ordinal, a);
    else {
      const [keep, drop] = better(a, other, statuses, record.version) ? [a, other] : [other, a];
      kept.set(a.ordinal, keep);
      ctx.retire(drop);
      stopped++;
    }
  }
  // Surplus goes highest ordinal first, so the names that remain are always <job>-0 … <job>-(count-1).
  for (const ordinal of [...kept.keys()].sort((a, b) => b - a)) {
    if (ordinal < job.count) continue;
    ctx.retire(kept.get(ordinal)!);
    kept.delete(ordinal);
    stopped++;
  }
  // Allocations failing this pass are the newest tombstones of their ordinals.
  const { latest, stale } = latestTombstones([...tombstones, ...failedNow], (t) => t.ordinal);
  for (const t of stale) ctx.forget(t);
  const delayed: DelayedReplica[] = [];
  for (const [ordinal, t] of latest) {
    if (kept.has(ordinal) || ordinal >= job.count) ctx.forget(t);
    else if (now < t.rescheduleAt!) delayed.push(delayedReplica(job, t));
    else carry.set(ordinal, t.failures ?? 1);
  }
  const waiting = new Set(delayed.map((d) => d.ordinal));
  const missing: number[] = [];
  for (let o = 0; o < job.count; o++) {
    if (!kept.has(o) && !waiting.has(o) && !claimInFlight(job.name, o, ctx.known, ctx.state)) missing.push(o);
  }
  const decision = planRollout({ ...ctx.rolloutBase(record), kept: [...kept.values()], failed, placing: missing.length + delayed.length });
  for (const a of decision.replace) {
    ctx.retire(a);
    stopped++;
    missing.push(a.ordinal);
  }
  missing.sort((a, b) => a - b);
  // Replicas whose volumes live on a host that may still come back go there and nowhere else.
  const { pinned, free } = splitByHome(ctx, job, missing);
  const sticky = placePinned(ctx.usage, job, pinned, job.count);
  const result = yield* placeReplicasSteps(ctx.usage, job, free, { seed: ctx.state.seed, wanted: job.count });
  return ctx.finish(record, [sticky, result], stopped, decision.rollout, { carry: (o) => carry.get(o), delayed });
}
