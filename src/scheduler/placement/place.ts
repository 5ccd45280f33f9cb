import type { Job, PlacementFailure } from '../types.js';
import { emptyMetrics, explainHosts, placementFailure } from './explain.js';
import { JobFeasibility, REASONS, type Verdict } from './feasible.js';
import { SCORERS } from './rank.js';
import { hashString, LazyShuffle, seededRng } from './rng.js';
import { runSteps, STEP_EVERY, type Steps } from './steps.js';
import { ClusterUsage, type HostSlot, type UsageSnapshot } from './usage.js';

export interface PlaceOptions {
  seed: number;
  /** Total replicas wanted, for the explanation (`2 of <wanted> unplaced`); default ordinals.length. */
  wanted?: number;
  /** Feasible hosts ranked per replica; default: all up to 64 hosts, else max(16, 2·log2 hosts). */
  candidates?: number;
}

export interface Placement {
  ordinal: number;
  host: string;
}

export interface PlaceResult {
  placed: Placement[];
  failure?: PlacementFailure;
}

/**
 * Places one replica per ordinal, updating `usage` as it goes (Nomad's stack: a seeded shuffle of the
 * hosts → feasibility checkers → a limit of feasible candidates → ranking → best score, ties to the
 * earlier host in the shuffle). The scan resumes where the previous replica's stopped, so successive
 * replicas see different candidates, and one replica costs O(candidates + filtered hosts skipped),
 * not O(hosts). Once a replica fails no later one can fit (usage only grows while one job is placed),
 * so the rest are reported unplaced with the reason of every host.
 */
export function placeReplicas(usage: ClusterUsage, job: Job, ordinals: readonly number[], opts: PlaceOptions): PlaceResult {
  return runSteps(placeReplicasSteps(usage, job, ordinals, opts));
}

/** `placeReplicas`, pausing every few replicas (a job of thousands of replicas is many steps). */
export function* placeReplicasSteps(usage: ClusterUsage, job: Job, ordinals: readonly number[], opts: PlaceOptions): Steps<PlaceResult> {
  const placed: Placement[] = [];
  const slots = usage.slots;
  const n = slots.length;
  const wanted = opts.wanted ?? ordinals.length;
  if (ordinals.length === 0) return { placed };
  const feas = new JobFeasibility(usage, job);
  const score = SCORERS[job.strategy];
  const limit = opts.candidates ?? (n <= 64 ? n : Math.max(16, 2 * Math.ceil(Math.log2(n))));
  // Hosts the shared filters reject are never scanned; the rest in a seeded order, drawn lazily.
  const order = new LazyShuffle(feas.candidates(), seededRng(hashString(job.name, opts.seed)));
  const m = order.length;
  let cursor = 0;
  for (let i = 0; i < ordinals.length; i++) {
    if (i > 0 && i % STEP_EVERY === 0) yield;
    let best: HostSlot | undefined;
    let bestScore = -Infinity;
    let found = 0;
    let scanned = 0;
    while (scanned < m && found < limit) {
      const slot = slots[order.at((cursor + scanned) % m)]!;
      scanned++;
      if (feas.check(slot) !== undefined) continue;
      found++;
      const s = score(slot, feas.demand, job);
      if (s > bestScore) {
        best = slot;
        bestScore = s;
      }
    }
    cursor = (cursor + scanned) % Math.max(m, 1);
    if (!best) {
      const unplaced = ordinals.length - i;
      return { placed, failure: placementFailure(job.name, unplaced, wanted, explainHosts(usage, feas), n) };
    }
    usage.add(best.host.name, job);
    placed.push({ ordinal: ordinals[i]!, host: best.host.name });
  }
  return { placed };
}

/** The pure form: places replicas of `job` over a plain snapshot, which is left untouched. */
export function placeJob(snapshot: UsageSnapshot, job: Job, ordinals: readonly number[], opts: PlaceOptions): PlaceResult {
  return placeReplicas(new ClusterUsage(snapshot), job, ordinals, opts);
}

/** The hosts a global job targets: every host passing the host-level checks, in name order. */
export function globalTargets(usage: ClusterUsage, job: Job): HostSlot[] {
  const feas = new JobFeasibility(usage, job);
  return usage.slots.filter((s) => feas.staticReason(s) === undefined);
}

/**
 * Places one replica on each named host (global jobs; rolling updates of them), charging `usage`.
 * Hosts that cannot take it are counted per reason; `ordinalFor` numbers the replicas that land.
 */
export function placeOnHosts(
  usage: ClusterUsage,
  job: Job,
  hosts: readonly string[],
  ordinalFor: (host: string) => number,
  wanted: number,
): PlaceResult {
  return runSteps(placeOnHostsSteps(usage, job, hosts, ordinalFor, wanted));
}

/** `placeOnHosts`, pausing every few hosts (a global job over thousands of hosts). */
export function* placeOnHostsSteps(
  usage: ClusterUsage,
  job: Job,
  hosts: readonly string[],
  ordinalFor: (host: string) => number,
  wanted: number,
): Steps<PlaceResult> {
  const placed: Placement[] = [];
  if (hosts.length === 0) return { placed };
  const feas = new JobFeasibility(usage, job);
  const metrics = emptyMetrics();
  let unplaced = 0;
  let tried = 0;
  for (const name of hosts) {
    if (++tried % STEP_EVERY === 0) yield;
    const slot = usage.byName.get(name);
    const verdict: Verdict = slot ? feas.check(slot) : { filter: REASONS.down };
    if (verdict === undefined) {
      usage.add(name, job);
      placed.push({ ordinal: ordinalFor(name), host: name });
      continue;
    }
    unplaced++;
    if ('filter' in verdict) metrics.filtered[verdict.filter] = (metrics.filtered[verdict.filter] ?? 0) + 1;
    else metrics.exhausted[verdict.exhausted] = (metrics.exhausted[verdict.exhausted] ?? 0) + 1;
  }
  if (unplaced === 0) return { placed };
  return { placed, failure: placementFailure(job.name, unplaced, wanted, metrics, usage.slots.length) };
}
