import { globalTargets, placeOnHosts, type PlaceResult } from '../placement/index.js';
import type { Allocation, Evaluation, JobRecord } from '../types.js';
import { better, claimInFlight, classify } from './classify.js';
import type { PassContext } from './context.js';
import { planRollout } from './rollout.js';

/**
 * Global jobs: one replica on every host passing the host-level checks (new hosts included). A
 * replacement stays on its host and keeps its ordinal; new hosts get the lowest free ordinals.
 */
export function reconcileGlobal(ctx: PassContext, record: JobRecord, allocs: readonly Allocation[]): Evaluation {
  const { job } = record;
  const targets = new Set(globalTargets(ctx.usage, job).map((s) => s.host.name));
  const byHost = new Map<string, Allocation>();
  const failed: Allocation[] = [];
  const reuse = new Map<string, number>();
  let stopped = 0;
  for (const a of allocs) {
    const cls = classify(a, ctx.hosts, ctx.state);
    // A host that no longer matches (its metadata changed, a conflicting job arrived) loses the replica.
    const wanted = cls === 'ok' && (ctx.hosts.get(a.host) !== 'alive' || targets.has(a.host));
    const other = byHost.get(a.host);
    let drop: Allocation | undefined = a;
    if (wanted && (other === undefined || better(a, other, ctx.state.statuses, record.version))) {
      byHost.set(a.host, a);
      drop = other;
    }
    if (drop === undefined) continue;
    ctx.retire(drop);
    stopped++;
    if (cls === 'failed') {
      failed.push(a);
      reuse.set(a.host, a.ordinal);
    }
  }
  const missing = [...targets].filter((h) => !byHost.has(h));
  const used = new Set([...byHost.values()].map((a) => a.ordinal));
  const ordinalFor = (host: string): number => {
    let o = reuse.get(host);
    if (o === undefined || used.has(o)) {
      o = 0;
      while (used.has(o) || claimInFlight(job.name, o, ctx.known, ctx.state)) o++;
    }
    used.add(o);
    return o;
  };
  const decision = planRollout({ ...ctx.rolloutBase(record), kept: [...byHost.values()], failed, placing: missing.length });
  const results: PlaceResult[] = [];
  for (const a of decision.replace) {
    ctx.retire(a);
    stopped++;
    results.push(placeOnHosts(ctx.usage, job, [a.host], () => a.ordinal, 1));
  }
  results.push(placeOnHosts(ctx.usage, job, missing, ordinalFor, targets.size));
  return ctx.finish(record, results, stopped, decision.rollout);
}
