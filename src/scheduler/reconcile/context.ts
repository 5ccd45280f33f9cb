import type { ClusterUsage, PlaceResult } from '../placement/index.js';
import type { Allocation, DelayedReplica, Evaluation, Job, JobRecord, VolumeHome } from '../types.js';
import type { HostState } from './classify.js';
import type { RolloutInput } from './rollout.js';
import type { Lookup, PassState } from './types.js';

/** What one pass shares with the per-job reconcilers (count-based and global). */
export interface PassContext {
  readonly state: PassState;
  readonly hosts: Lookup<string, HostState>;
  /** Usage as this pass has changed it so far (stops freed, placements charged). */
  readonly usage: ClusterUsage;
  /** Whether an allocation id exists in the state the pass reads. */
  readonly known: { has(id: string): boolean };
  /** Where the job's replicas' named volumes live, by ordinal; undefined: sticky placement is off. */
  homesOf(job: Job): ReadonlyMap<number, VolumeHome> | undefined;
  /** Ends an allocation: deleted when its host is gone (no agent to tell), else asked to stop. */
  retire(a: Allocation): void;
  /** Deletes a tombstone (a failed allocation kept for its back-off) that is no longer needed, once stopped. */
  forget(a: Allocation): void;
  /** The rollout inputs common to every job kind. */
  rolloutBase(record: JobRecord): Pick<RolloutInput, 'record' | 'now' | 'statuses' | 'previous'>;
  /** Turns placements into allocations of the plan and makes the job's evaluation. */
  finish(record: JobRecord, results: PlaceResult[], stopped: number, rollout: Evaluation['rollout'], extra?: FinishExtra): Evaluation;
}

export interface FinishExtra {
  /** The replica's failure count to carry into the allocation placed for (ordinal, host), if any. */
  carry?: (ordinal: number, host: string) => number | undefined;
  /** Replicas held back by the reschedule back-off. */
  delayed?: DelayedReplica[];
}
