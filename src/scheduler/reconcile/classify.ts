import type { HostStatus } from '../../catalog/types.js';
import type { AllocStatus, Allocation } from '../types.js';
import { claimKey, DEFAULT_CLAIM_GRACE_MS, type Lookup, type PassState, type ReconcileState } from './types.js';

/** Where a host stands for the allocations on it. */
export type HostState = 'alive' | 'grace' | 'lost';

export function hostStates(state: ReconcileState): Map<string, HostState> {
  const out = new Map<string, HostState>();
  for (const h of state.hosts) out.set(h.name, hostState(h, state));
  return out;
}

export function hostState(h: HostStatus, state: Pick<ReconcileState, 'hostDownSince' | 'now' | 'graceMs'>): HostState {
  if (h.alive) return 'alive';
  const since = state.hostDownSince.get(h.name) ?? state.now;
  return state.now - since >= state.graceMs ? 'lost' : 'grace';
}

/** An allocation's fate this pass, before counts and rollouts are considered. */
export type AllocClass =
  /** Its host is gone or down past grace: delete the key, replace it elsewhere. */
  | 'lost'
  /** Another allocation holds its replica claim (a lost race between leaders): stop it. */
  | 'superseded'
  /** Its containers died or stopped without being asked: stop it, replace it (same ordinal). */
  | 'failed'
  | 'ok';

export function classify(a: Allocation, hosts: Lookup<string, HostState>, state: PassState): AllocClass {
  const host = hosts.get(a.host);
  if (host === undefined || host === 'lost') return 'lost';
  const claim = state.claims?.get(claimKey(a.job, a.ordinal));
  if (claim && claim.id !== a.id) return 'superseded';
  const s = state.statuses.get(a.id);
  if (s && (s.state === 'failed' || s.state === 'stopped')) return 'failed';
  return 'ok';
}

/** A stop-desired allocation is done once its agent reports it stopped, or its host is gone for good. */
export function stopDone(a: Allocation, hosts: Lookup<string, HostState>, status: AllocStatus | undefined): boolean {
  const host = hosts.get(a.host);
  if (host === undefined || host === 'lost') return true;
  return status !== undefined && (status.state === 'stopped' || status.state === 'failed');
}

/** Healthy for at least `minHealthyMs`: what a rolling update waits for before the next batch. */
export function stablyHealthy(status: AllocStatus | undefined, now: number, minHealthyMs: number): boolean {
  return !!status?.healthy && status.state === 'running' && now - (status.healthySince ?? now) >= minHealthyMs;
}

/** An ordinal whose claim points at an allocation not visible yet: its writer may still be committing. */
export function claimInFlight(job: string, ordinal: number, known: { has(id: string): boolean }, state: PassState): boolean {
  const claim = state.claims?.get(claimKey(job, ordinal));
  if (!claim || known.has(claim.id)) return false;
  return state.now - claim.at < (state.claimGraceMs ?? DEFAULT_CLAIM_GRACE_MS);
}

/** Which of two allocations for one replica to keep: running and healthy first, then current version, then oldest. */
export function better(a: Allocation, b: Allocation, statuses: Lookup<string, AllocStatus>, version: number): boolean {
  const rank = (x: Allocation) => {
    const s = statuses.get(x.id);
    return (s?.healthy ? 4 : 0) + (s?.state === 'running' ? 2 : 0) + (x.jobVersion === version ? 1 : 0);
  };
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra > rb;
  return a.createdAt !== b.createdAt ? a.createdAt < b.createdAt : a.id < b.id;
}
