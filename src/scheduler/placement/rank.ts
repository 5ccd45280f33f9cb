import type { Job } from '../types.js';
import type { Demand, HostSlot } from './usage.js';

/** Scores a feasible host for one more replica; higher is better. */
export type Scorer = (slot: HostSlot, demand: Demand, job: Job) => number;

/** Mean of cpu and memory utilisation once the replica is added (a zero capacity counts as full). */
export function utilisationAfter(slot: HostSlot, d: Demand): number {
  const cap = slot.host.capacity;
  const cpu = cap.cpu > 0 ? (slot.cpu + d.cpu) / cap.cpu : 1;
  const mem = cap.memory > 0 ? (slot.memory + d.memory) / cap.memory : 1;
  return (cpu + mem) / 2;
}

/**
 * Strategies as a name → function map (fabio's pickers). `spread` prefers the least allocated host
 * and, above all, hosts with fewer replicas of the same job (Nomad's job anti-affinity), so replicas
 * land on distinct hosts whenever they can; `binpack` fills the most allocated host first.
 */
export const SCORERS: Record<Job['strategy'], Scorer> = {
  spread: (slot, d, job) => -(slot.jobs.get(job.name) ?? 0) - utilisationAfter(slot, d),
  binpack: (slot, d) => utilisationAfter(slot, d),
};
