import { globalTargets, placeOnHostsSteps, type PlaceResult, type Steps } from '../placement/index.js';
import type { Allocation, DelayedReplica, Evaluation, JobRecord } from '../types.js';
import { delayedReplica, latestTombstones, retireFailed } from './backoff.js';
import { better, claimInFlight, classify } from './classify.js';
import type { PassContext } from './context.js';
import { planRollout } from './rollout.js';
import { homesOf } from './sticky.js';

/**
 * Global jobs: one replica on every host passing the host-level checks (new hosts included). A
 * replacement stays on its host and keeps its ordinal; new hosts get the lowest free ordinals. A
 * replica that keeps failing on a host is replaced there once its back-off has passed.
 */
export function* reconcileGlobal(ctx: PassContext, record: JobRecord, allocs: readonly Allocation[], tombstones: readonly Allocation[]): Steps<Evaluation> {
  const { job } = record;
  const { now } = ctx.state;
  const failedNow: Allocation[] = [];
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
    stopped++;
    if (cls === 'failed') {
      failed.push(a);
      failedNow.push(retireFailed(ctx, job, a));
    } else ctx.retire(drop);
  }
  const { latest, stale } = latestTombstones([...tombstones, ...failedNow], (t) => t.host);
  for (const t of stale) ctx.forget(t);
  const delayed: DelayedReplica[] = [];
  const waiting = new Set<string>();
  const carry = new Map<string, number>();
  for (const [host, t] of latest) {
    if (byHost.has(host) || !targets.has(host)) ctx.forget(t);
    else if (now < t.rescheduleAt!) {
      delayed.push(delayedReplica(job, t));
      waiting.add(host);
    } else {
      reuse.set(host, t.ordinal);
      carry.set(host, t.failures ?? 1);
    }
  }
  // A host holding a replica's volumes gets that replica's ordinal back (its volumes are named by it).
  for (const [ordinal, home] of homesOf(ctx, job)) if (!reuse.has(home.host)) reuse.set(home.host, ordinal);
  const missing = [...targets].filter((h) => !byHost.has(h) && !waiting.has(h));
  const used = new Set([...byHost.values(), ...delayed].map((a) => a.ordinal));
  // Ordinals other missing hosts will take back are not handed out as "lowest free" first.
  const missingHosts = new Set(missing);
  const reserved = new Set([...reuse].filter(([h]) => missingHosts.has(h)).map(([, o]) => o));
  const ordinalFor = (host: string): number => {
    let o = reuse.get(host);
    if (o === undefined || used.has(o)) {
      o = 0;
      while (used.has(o) || reserved.has(o) || claimInFlight(job.name, o, ctx.known, ctx.state)) o++;
    }
    used.add(o);
    return o;
  };
  const decision = planRollout({ ...ctx.rolloutBase(record), kept: [...byHost.values()], failed, placing: missing.length + delayed.length });
  const results: PlaceResult[] = [];
  for (const a of decision.replace) {
    ctx.retire(a);
    stopped++;
    results.push(yield* placeOnHostsSteps(ctx.usage, job, [a.host], () => a.ordinal, 1));
  }
  results.push(yield* placeOnHostsSteps(ctx.usage, job, missing, ordinalFor, targets.size));
  return ctx.finish(record, results, stopped, decision.rollout, { carry: (_o, host) => carry.get(host), delayed });
}
