import type { Job } from '../types.js';
import { emptyMetrics, placementFailure } from './explain.js';
import { JobFeasibility, REASONS } from './feasible.js';
import type { PlaceResult, Placement } from './place.js';
import type { ClusterUsage } from './usage.js';

/** A replica that must go back to the host holding its volumes. */
export interface Pin {
  ordinal: number;
  host: string;
}

/**
 * Sticky placement (Nomad's sticky ephemeral disk, a StatefulSet's volume affinity): each pinned
 * replica may only land on its volumes' host. Every other host is filtered with one constant reason
 * per pinned replica (`volumes of redis-1 on h1`), and the home host with its own verdict when it
 * cannot take the replica now (`host down` during the grace period, a port in use, memory), so
 * `maestro status` says why the replica waits instead of moving. Unlike free placement, one pinned
 * replica failing says nothing of the next (they go to different hosts), so all are tried.
 */
export function placePinned(usage: ClusterUsage, job: Job, pins: readonly Pin[], wanted: number): PlaceResult {
  const placed: Placement[] = [];
  if (pins.length === 0) return { placed };
  const feas = new JobFeasibility(usage, job);
  const metrics = emptyMetrics();
  let unplaced = 0;
  for (const pin of pins) {
    const slot = usage.byName.get(pin.host);
    const verdict = slot ? feas.check(slot) : { filter: REASONS.down };
    if (verdict === undefined) {
      usage.add(pin.host, job);
      placed.push({ ordinal: pin.ordinal, host: pin.host });
      continue;
    }
    unplaced++;
    if ('filter' in verdict) metrics.filtered[verdict.filter] = (metrics.filtered[verdict.filter] ?? 0) + 1;
    else metrics.exhausted[verdict.exhausted] = (metrics.exhausted[verdict.exhausted] ?? 0) + 1;
    const others = usage.slots.length - (slot ? 1 : 0);
    if (others > 0) metrics.filtered[REASONS.volumes(`${job.name}-${pin.ordinal}`, pin.host)] = others;
  }
  if (unplaced === 0) return { placed };
  return { placed, failure: placementFailure(job.name, unplaced, wanted, metrics, usage.slots.length) };
}
