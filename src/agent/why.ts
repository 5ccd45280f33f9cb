/**
 * Why an allocation is in its state, in a user's words, and the events it went through (`nomad alloc
 * status`'s recent events). Pure: the plan calls these with what it saw, so every wording is a table
 * test. Messages name what happened and carry the evidence: the daemon's message for a failed pull,
 * the exit code and the last lines of output for an exit, the check's output for a failing check.
 */
import type { ContainerInfo } from '../docker/types.js';
import { ALLOC_EVENTS_KEPT, type AllocEvent, type AllocEventType, type AllocStatus, type CheckResult } from '../state/index.js';
import { AGENT_LABELS } from './labels.js';

/** Why a pod could not be started (set by the executor, sticky for the allocation). */
export interface StartFailure {
  type: Extract<AllocEventType, 'image-pull-failed' | 'start-failed'>;
  message: string;
}

/** The last lines of a dead container's output kept in its reason (the rest: `maestro logs`). */
export const TAIL_LINES = 5;
export const TAIL_BYTES = 1024;

/** A start error → its reason: the daemon's message without the port's `docker: ` prefix. */
export function startFailure(err: unknown, pull: boolean): StartFailure {
  const text = ((err as Error)?.message ?? String(err)).replace(/^docker: /, '');
  return pull ? { type: 'image-pull-failed', message: `image pull failed: ${text.replace(/^cannot pull /, '')}` } : { type: 'start-failed', message: `could not start: ${text}` };
}

/**
 * A dead container → why: OOM kill first (the exit code, 137, says only "killed"), then Docker's own
 * error, then the exit code with the last lines it wrote. Pod members are named; a lone container is
 * the allocation itself.
 */
export function exitReason(c: ContainerInfo, pod: boolean, tail: string | undefined): { type: AllocEventType; message: string } {
  const who = pod ? `container ${c.labels[AGENT_LABELS.member] ?? c.name} ` : '';
  const output = tail?.trim() ? `; last output:\n${tail.trimEnd()}` : '';
  if (c.oomKilled) return { type: 'oom-killed', message: `${who}OOM-killed: out of memory at its memory limit (exit code ${c.exitCode ?? 137})${output}` };
  if (c.error) return { type: 'exited', message: `${who}failed: ${c.error}` };
  return { type: 'exited', message: `${who}exited with code ${c.exitCode ?? 'unknown'}${output}` };
}

/** A running pod's health problem, or undefined when it is healthy or still starting without one. */
export function unhealthyReason(cs: readonly ContainerInfo[], check: CheckResult | undefined): string | undefined {
  const paused = cs.find((c) => c.paused);
  if (paused) return 'paused';
  if (check?.status === 'critical') return `health check failing: ${check.output}`;
  const docker = cs.find((c) => c.health === 'unhealthy');
  if (docker) return `health check failing (HEALTHCHECK)${docker.healthOutput ? `: ${docker.healthOutput}` : ''}`;
  if (check?.status === 'warning' && check.failures > 0) return `waiting for the health check to pass: ${check.output}`;
  return undefined;
}

/** `message` of an event for a status that turned healthy. */
function healthyMessage(s: AllocStatus): string {
  return s.check ? `health check passing: ${s.check.output}` : 'healthy';
}

/**
 * The event a change of status stands for, if any: started, healthy, unhealthy, failed (with
 * `failure`), stopped, spec missing. Called with the previous status as reported and the new one.
 */
export function transitionEvent(
  prev: AllocStatus | undefined,
  next: AllocStatus,
  failure: { type: AllocEventType; message: string } | undefined,
  now: number,
): AllocEvent | undefined {
  const ev = (type: AllocEventType, message: string): AllocEvent => ({ at: now, type, message });
  if (next.state === 'failed') return prev?.state === 'failed' ? undefined : ev(failure?.type ?? 'exited', next.message ?? 'failed');
  if (next.state === 'stopped') return prev?.state === 'stopped' ? undefined : ev('stopped', 'stopped: its containers are removed');
  if (next.state === 'pending') {
    return next.message && next.message !== prev?.message && next.containerIds.length === 0 ? ev('spec-missing', next.message) : undefined;
  }
  const ids = next.containerIds.join(',');
  const started = prev?.state !== 'running' || prev.containerIds.join(',') !== ids;
  if (started) {
    const what = next.containerIds.length > 1 ? `started (pod of ${next.containerIds.length} containers)` : 'started';
    return ev('started', next.check && !next.healthy ? `${what}; waiting for the health check` : what);
  }
  if (next.healthy && !prev.healthy) return ev('healthy', healthyMessage(next));
  if (!next.healthy && next.message?.startsWith('health check failing') && prev.message !== next.message) return ev('unhealthy', next.message);
  if (!next.healthy && prev.healthy) return ev('unhealthy', next.message ?? 'not healthy');
  return undefined;
}

/** `events` with `ev` appended, keeping the last ALLOC_EVENTS_KEPT. */
export function appendEvent(events: readonly AllocEvent[] | undefined, ev: AllocEvent | undefined): AllocEvent[] | undefined {
  if (!ev) return events?.length ? [...events] : undefined;
  return [...(events ?? []), ev].slice(-ALLOC_EVENTS_KEPT);
}
