import type { AllocStatus, Allocation, Evaluation, JobRecord } from '../types.js';
import { instanceName } from '../types.js';
import { stablyHealthy } from './classify.js';

export interface RolloutInput {
  record: JobRecord;
  now: number;
  /** Kept allocations (running or starting) of the job, any version. */
  kept: readonly Allocation[];
  /** Allocations of the job classified failed this pass. */
  failed: readonly Allocation[];
  /** Replicas being placed anyway this pass (missing or replaced), all at the current version. */
  placing: number;
  statuses: ReadonlyMap<string, AllocStatus>;
  previous?: Evaluation;
}

export interface RolloutDecision {
  /** Outdated allocations to replace now (stop + place at the current version, same ordinal/host). */
  replace: Allocation[];
  rollout?: NonNullable<Evaluation['rollout']>;
}

/**
 * Rolling update (Nomad's `update` stanza): outdated replicas are replaced at most `maxParallel` at a
 * time, and only while every replica at the current version is healthy for `minHealthy`, so a batch
 * starts only after the previous one proved itself. A new-version replica that fails while outdated
 * ones remain fails the rollout: it stops where it is (outdated replicas keep running) and stays
 * failed until a new version is submitted.
 */
export function planRollout(input: RolloutInput): RolloutDecision {
  const { record, now, statuses } = input;
  const { version, job } = record;
  const outdated = input.kept.filter((a) => a.jobVersion !== version).sort((a, b) => a.ordinal - b.ordinal);
  const current = input.kept.filter((a) => a.jobVersion === version);
  const prevFailed = input.previous?.jobVersion === version && input.previous.rollout?.state === 'failed';
  const newlyFailed = outdated.length > 0 ? input.failed.find((a) => a.jobVersion === version) : undefined;

  if (prevFailed || newlyFailed) {
    const message = newlyFailed
      ? `${instanceName(job.name, newlyFailed.ordinal)} (${newlyFailed.id}) failed: ${statuses.get(newlyFailed.id)?.message ?? 'stopped'}; ` +
        `rollout to version ${version} stopped with ${outdated.length} replica(s) on older versions`
      : (input.previous?.rollout?.message ?? `rollout to version ${version} failed`);
    return { replace: [], rollout: { state: 'failed', message } };
  }

  const unstable = current.filter((a) => !stablyHealthy(statuses.get(a.id), now, job.update.minHealthyMs)).length + input.placing;
  const budget = Math.max(0, job.update.maxParallel - unstable);
  const replace = outdated.slice(0, budget);
  if (version <= 1 && outdated.length === 0) return { replace };
  const done = outdated.length === 0 && unstable === 0;
  const rollout: RolloutDecision['rollout'] = done
    ? { state: 'complete' }
    : { state: 'running', message: `${current.length + replace.length} of ${current.length + outdated.length} replica(s) on version ${version}` };
  return { replace, rollout };
}
