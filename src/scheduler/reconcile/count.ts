import { placeReplicas } from '../placement/index.js';
import type { Allocation, Evaluation, JobRecord } from '../types.js';
import { better, claimInFlight, classify } from './classify.js';
import type { PassContext } from './context.js';
import { planRollout } from './rollout.js';

/**
 * Count-based jobs: replicas `<job>-0 … <job>-(count-1)`. Lost, failed and superseded allocations go;
 * of two for one ordinal the better stays; surplus goes highest ordinal first; missing ordinals and
 * the rollout's batch are placed, each replacement keeping its ordinal.
 */
export function reconcileCount(ctx: PassContext, record: JobRecord, allocs: readonly Allocation[]): Evaluation {
  const { job } = record;
  const kept = new Map<number, Allocation>();
  const failed: Allocation[] = [];
  let stopped = 0;
  for (const a of allocs) {
    const cls = classify(a, ctx.hosts, ctx.state);
    if (cls !== 'ok') {
      ctx.retire(a);
      stopped++;
      if (cls === 'failed') failed.push(a);
      continue;
    }
    const other = kept.get(a.ordinal);
    if (other === undefined) kept.set(a.ordinal, a);
    else {
      const [keep, drop] = better(a, other, ctx.state.statuses, record.version) ? [a, other] : [other, a];
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
  const missing: number[] = [];
  for (let o = 0; o < job.count; o++) {
    if (!kept.has(o) && !claimInFlight(job.name, o, ctx.known, ctx.state)) missing.push(o);
  }
  const decision = planRollout({ ...ctx.rolloutBase(record), kept: [...kept.values()], failed, placing: missing.length });
  for (const a of decision.replace) {
    ctx.retire(a);
    stopped++;
    missing.push(a.ordinal);
  }
  missing.sort((a, b) => a - b);
  const result = placeReplicas(ctx.usage, job, missing, { seed: ctx.state.seed, wanted: job.count });
  return ctx.finish(record, [result], stopped, decision.rollout);
}
