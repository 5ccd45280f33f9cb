/**
 * One allocation as the API shows it (pure): the agent's report put in a user's words, the reason
 * with the scheduler's restart back-off, recent events, the health check, and whether it has been
 * healthy long enough to count (`update.minHealthy`).
 */
import { backoffMs, policyOf } from '../scheduler/reconcile/backoff.js';
import { JOB_DEFAULTS } from '../scheduler/spec/defaults.js';
import { formatDuration } from '../scheduler/spec/duration.js';
import {
  instanceName,
  type AllocDesired,
  type AllocEvent,
  type AllocState,
  type AllocStatus,
  type Allocation,
  type CheckResult,
  type Job,
} from '../state/index.js';

export interface AllocView {
  id: string;
  job: string;
  /** `<job>-<ordinal>`: the DNS instance name. */
  instance: string;
  ordinal: number;
  host: string;
  desired: AllocDesired;
  jobVersion: number;
  /** `pending` until the host's agent reports. */
  state: AllocState;
  /**
   * The state in a user's words: `starting` (placed, pulling, or waiting for its check), `running`,
   * `unhealthy`, `failed`, `stopping`, `stopped`.
   */
  status: AllocDisplayStatus;
  healthy: boolean;
  /** Since when it has been healthy without a break. */
  healthySince?: number;
  /** Why it is in its state: the agent's reason, and for a failed replica the restart back-off. */
  message?: string;
  /** The last thing that happened to it (also the last of `events`). */
  lastEvent?: AllocEvent;
  /** Recent events, oldest first (a bounded list kept by the agent). */
  events: AllocEvent[];
  /** The agent's health check, when the job has an http/tcp check. */
  check?: CheckResult;
  /** For a failed replica: consecutive failures of its replica, this one included. */
  failures?: number;
  /** For a failed replica waiting out its back-off: when its replacement is placed. */
  restartAt?: number;
  containerIds: string[];
  createdAt: number;
  updatedAt?: number;
}

export type AllocDisplayStatus = 'starting' | 'running' | 'unhealthy' | 'failed' | 'stopping' | 'stopped';

/** One allocation as the API shows it: the agent's report, put in words, with the scheduler's back-off. */
export function allocView(a: Allocation, s: AllocStatus | undefined, job: Job | undefined, now: number): AllocView {
  const state = s?.state ?? 'pending';
  const healthy = s?.healthy === true && s.state === 'running';
  const events = s?.events ?? [];
  let message = s?.message;
  let failures: number | undefined;
  let restartAt: number | undefined;
  if (state === 'failed' || a.failures !== undefined) {
    failures = a.failures ?? (a.previousFailures ?? 0) + 1;
    if (a.rescheduleAt !== undefined) {
      restartAt = a.rescheduleAt;
      // The replacement waits out the back-off (Nomad's reschedule delay, Kubernetes' CrashLoopBackOff).
      const wait = a.rescheduleAt - now;
      const backoff = job ? ` (back-off ${formatDuration(backoffMs(failures, policyOf(job)))} after ${failures} failure${failures === 1 ? '' : 's'})` : '';
      const restart = wait > 0 ? `waiting to restart: next attempt in ${formatDuration(Math.ceil(wait / 1000) * 1000)}${backoff}` : 'restarting now';
      message = message ? `${message} — ${restart}` : restart;
    }
  }
  // A replacement of a crash-looping replica says so until it is healthy (its predecessor said why).
  if (!message && !healthy && state !== 'failed' && a.desired === 'run' && a.previousFailures) {
    message = `restarted after ${a.previousFailures} failure${a.previousFailures === 1 ? '' : 's'} of this replica`;
  }
  return {
    id: a.id,
    job: a.job,
    instance: instanceName(a.job, a.ordinal),
    ordinal: a.ordinal,
    host: a.host,
    desired: a.desired,
    jobVersion: a.jobVersion,
    state,
    status: displayStatus(a.desired, state, healthy, s),
    healthy,
    ...(healthy && s?.healthySince !== undefined ? { healthySince: s.healthySince } : {}),
    ...(message ? { message } : {}),
    ...(events.length ? { lastEvent: events[events.length - 1]! } : {}),
    events,
    ...(s?.check ? { check: s.check } : {}),
    ...(failures !== undefined ? { failures } : {}),
    ...(restartAt !== undefined ? { restartAt } : {}),
    containerIds: s?.containerIds ?? [],
    createdAt: a.createdAt,
    ...(s ? { updatedAt: s.updatedAt } : {}),
  };
}

function displayStatus(desired: AllocDesired, state: AllocState, healthy: boolean, s: AllocStatus | undefined): AllocDisplayStatus {
  if (state === 'failed') return 'failed';
  if (state === 'stopped') return 'stopped';
  if (desired === 'stop') return 'stopping';
  if (state === 'pending') return 'starting';
  if (healthy) return 'running';
  const sick = s?.check?.status === 'critical' || /^(health check failing|paused)/.test(s?.message ?? '');
  return sick ? 'unhealthy' : 'starting';
}

/**
 * Healthy for the job's `update.minHealthy` without a break: what `maestro run` and the job's
 * healthy count wait for, on the first deployment as on updates (a replica seen running for an
 * instant proves nothing).
 */
export function stablyHealthy(a: AllocView, job: Job, now: number): boolean {
  const min = job.update.minHealthyMs ?? JOB_DEFAULTS.update.minHealthyMs;
  return a.healthy && a.healthySince !== undefined && now - a.healthySince >= min;
}

