import type { AllocStatus, Allocation, Evaluation, JobRecord } from '../types.js';
import { formatDuration } from '../spec/duration.js';
import { JOB_DEFAULTS } from '../spec/defaults.js';
import { instanceName } from '../types.js';
import { stablyHealthy } from './classify.js';
import type { Lookup } from './types.js';

export interface RolloutInput {
  record: JobRecord;
  now: number;
  /** Kept allocations (running or starting) of the job, any version. */
  kept: readonly Allocation[];
  /** Allocations of the job classified failed this pass. */
  failed: readonly Allocation[];
  /** Replicas being placed anyway this pass (missing or replaced) or waiting out a back-off, all at the current version. */
  placing: number;
  statuses: Lookup<string, AllocStatus>;
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
 * failed until a new version is submitted. So does a rollout that makes no progress for
 * `progressDeadline` (Kubernetes' progressDeadlineSeconds, Nomad's progress_deadline): new replicas
 * that never turn healthy, or cannot be placed, no longer leave it `running` forever.
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
  // Complete is sticky too: replicas replaced later (failures, moves) are not part of the rollout.
  const wasComplete = input.previous?.jobVersion === version && input.previous.rollout?.state === 'complete';
  if (wasComplete && outdated.length === 0) return { replace, rollout: { state: 'complete' } };
  const deadline = job.update.progressDeadlineMs ?? JOB_DEFAULTS.update.progressDeadlineMs;
  if (!done && deadline > 0 && now - lastProgress(input, current) >= deadline) {
    const healthy = current.filter((a) => statuses.get(a.id)?.healthy).length;
    const message =
      `rollout to version ${version} made no progress for ${formatDuration(deadline)}: ` +
      `${healthy} of ${current.length + outdated.length} replica(s) on version ${version} healthy, ${outdated.length} on older versions keep running`;
    return { replace: [], rollout: { state: 'failed', message } };
  }
  const rollout: RolloutDecision['rollout'] = done
    ? { state: 'complete' }
    : { state: 'running', message: `${current.length + replace.length} of ${current.length + outdated.length} replica(s) on version ${version}` };
  return { replace, rollout };
}

/**
 * When the rollout last moved: its submission, a replica placed for it (replacements of failed ones
 * do not count, or a crash loop would look like progress), or a current-version replica turning healthy.
 */
function lastProgress(input: RolloutInput, current: readonly Allocation[]): number {
  let at = input.record.submittedAt;
  for (const a of current) {
    if (!a.previousFailures) at = Math.max(at, a.createdAt);
    const s = input.statuses.get(a.id);
    if (s?.healthy && s.state === 'running') at = Math.max(at, s.healthySince ?? input.now);
  }
  return at;
}
