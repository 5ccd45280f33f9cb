import type { HostStatus } from '../../catalog/types.js';
import type { ClusterUsage } from '../placement/index.js';
import type { HostState } from './classify.js';
import type { AllocStatus, Allocation, Evaluation, Job, JobRecord, VolumeHome } from '../types.js';

/** Who holds a replica slot `<job>/<ordinal>`: the commit point that keeps two leaders from doubling it. */
export interface Claim {
  id: string;
  at: number;
}

export const claimKey = (job: string, ordinal: number): string => `${job}/${ordinal}`;

/** Key of `ReconcileState.versions`. */
export const versionKey = (job: string, version: number): string => `${job}@${version}`;

/**
 * A read-only keyed lookup: a Map, or an index the caller keeps (the state view), so a pass reads
 * only the entries of the jobs it evaluates instead of copying the cluster into maps first.
 */
export interface Lookup<K, V> {
  get(key: K): V | undefined;
}

/** What every job's evaluation reads besides its own allocations, however the pass was assembled. */
export interface PassState {
  now: number;
  /** How long a host may be down before its allocations are replaced elsewhere. */
  graceMs: number;
  /** Seeds placement shuffles and allocation ids: one seed, one plan. */
  seed: number;
  /** Agent reports by allocation id. */
  statuses: Lookup<string, AllocStatus>;
  /** The last stored evaluation per job (a failed rollout stays failed until a new version). */
  previous?: Lookup<string, Evaluation>;
  /** Replica claims by `claimKey`; absent means none are known (pure tests). */
  claims?: Lookup<string, Claim>;
  /** Specs of older versions still running, by `versionKey`, so they are charged what they really use. */
  versions?: Lookup<string, Job>;
  /** A claim whose allocation is not (yet) visible is honoured this long: its writer may be mid-commit. */
  claimGraceMs?: number;
}

/** Everything one evaluation pass looks at: an immutable snapshot of the cluster. */
export interface ReconcileState extends PassState {
  hosts: readonly HostStatus[];
  jobs: readonly JobRecord[];
  /** Every allocation, desired `run` or `stop`. */
  allocations: readonly Allocation[];
  /** When the scheduler first saw each down host down; a down host missing here is down since `now`. */
  hostDownSince: ReadonlyMap<string, number>;
  /** Where replicas' named volumes live, by `claimKey` (absent: none known; sticky placement is off). */
  volumeHomes?: ReadonlyMap<string, VolumeHome>;
}

/** What one pass decided; the service commits it, the test harness applies it to its state. */
export interface Plan {
  /** New allocations to create. */
  place: Allocation[];
  /** Allocations to rewrite with desired `stop` (their agent stops them and reports). */
  stop: Allocation[];
  /** Allocation keys to delete: stopped and reported, or on a host that is gone or down past grace. */
  remove: Allocation[];
  /** One per job evaluated. */
  evaluations: Evaluation[];
  /**
   * Volume homes to write with placements, by allocation id (`keys.volumeHome(job, ordinal)`): a
   * replica with named volumes placed on a host its record does not name yet. Absent when none.
   */
  homes?: Map<string, VolumeHome>;
}

/**
 * The inputs of a pass over some jobs only (the service's change-driven evaluations): everything is
 * read through lookups, and `usage` is the caller's, kept current between passes — the pass charges
 * and frees it as it plans, and the caller undoes that (`ClusterUsage.rollback`) once committed.
 */
export interface JobPassInput extends PassState {
  /** Where each host stands (alive, in its grace period, lost); undefined: gone. */
  hosts: Lookup<string, HostState>;
  usage: ClusterUsage;
  /** Whether an allocation id exists anywhere (claims in flight; fresh ids never collide). */
  known: { has(id: string): boolean };
  record(job: string): JobRecord | undefined;
  /** Every allocation of the job, desired `run` or `stop`. */
  allocsOf(job: string): readonly Allocation[];
  /** Where the job's replicas' named volumes live, by ordinal; absent: sticky placement is off. */
  homesOf?(job: string): ReadonlyMap<number, VolumeHome>;
}

export const DEFAULT_GRACE_MS = 10_000;
export const DEFAULT_CLAIM_GRACE_MS = 5_000;

export function emptyPlan(plan: Plan): boolean {
  return plan.place.length === 0 && plan.stop.length === 0 && plan.remove.length === 0;
}
