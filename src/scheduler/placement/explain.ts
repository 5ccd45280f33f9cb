import type { PlacementFailure } from '../types.js';
import type { Dimension, JobFeasibility } from './feasible.js';
import type { ClusterUsage } from './usage.js';

/** Counts, per reason, why hosts turned a replica down (Nomad's AllocMetric). */
export interface FilterMetrics {
  filtered: Record<string, number>;
  exhausted: Partial<Record<Dimension, number>>;
}

export function emptyMetrics(): FilterMetrics {
  return { filtered: {}, exhausted: {} };
}

/** Asks every host why it cannot take one more replica (run only once a placement failed). */
export function explainHosts(usage: ClusterUsage, feas: JobFeasibility, into = emptyMetrics()): FilterMetrics {
  for (const slot of usage.slots) {
    const v = feas.check(slot);
    if (v && 'filter' in v) into.filtered[v.filter] = (into.filtered[v.filter] ?? 0) + 1;
    else if (v) into.exhausted[v.exhausted] = (into.exhausted[v.exhausted] ?? 0) + 1;
  }
  return into;
}

/** `2 of 3 unplaced: 4 hosts filtered by hostMeta disk=ssd, 1 host out of memory`. */
export function placementFailure(job: string, unplaced: number, wanted: number, m: FilterMetrics, hosts: number): PlacementFailure {
  const parts = [
    ...Object.entries(m.filtered).map(([reason, n]) => ({ n, text: `${n} ${plural(n)} filtered by ${reason}` })),
    ...Object.entries(m.exhausted).map(([dim, n]) => ({ n: n ?? 0, text: `${n} ${plural(n ?? 0)} out of ${dim}` })),
  ].sort((a, b) => b.n - a.n || (a.text < b.text ? -1 : 1));
  const why = hosts === 0 ? 'no hosts registered' : parts.map((p) => p.text).join(', ') || 'no feasible host';
  return {
    job,
    unplaced,
    wanted,
    filtered: { ...m.filtered },
    exhausted: { ...m.exhausted } as Record<string, number>,
    message: `${unplaced} of ${wanted} unplaced: ${why}`,
  };
}

function plural(n: number): string {
  return n === 1 ? 'host' : 'hosts';
}
