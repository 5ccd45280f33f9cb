/**
 * The agent's pure core: desired allocations (with their job specs) + the containers Docker has for
 * this host → the actions that make Docker match, and the status to report per allocation. No I/O and
 * no clock of its own, so every case (died, incomplete pod, moved allocation, new version) is a table
 * test, and running it twice on the same snapshot after the actions ran yields no actions at all.
 */
import type { ContainerInfo } from '../docker/types.js';
import type { AllocEventType, AllocStatus, Allocation, CheckResult, Job } from '../state/index.js';
import { AGENT_LABELS } from './labels.js';
import { appendEvent, exitReason, transitionEvent, unhealthyReason, type StartFailure } from './why.js';

export interface DesiredAlloc {
  alloc: Allocation;
  /** The spec of `alloc.jobVersion`; undefined while it cannot be read. */
  job?: Job;
  /** Why `job` is missing (not found, catalog unreachable). */
  jobMissing?: string;
}

export interface PlanInput {
  allocs: DesiredAlloc[];
  /** This host's agent-made containers (label `maestro.host=<host>` and `maestro.alloc`), stopped ones included. */
  containers: ContainerInfo[];
  /** Allocations whose pod could not be started (image missing, bad spec), with the reason. */
  startFailures: ReadonlyMap<string, StartFailure>;
  /** The statuses last reported, by allocation id. */
  previous: ReadonlyMap<string, AllocStatus>;
  /** The agent's health check of each allocation that has one (http/tcp), by allocation id. */
  checks?: ReadonlyMap<string, CheckResult>;
  /** The last lines of output of dead containers, by container id (read before planning: I/O). */
  tails?: ReadonlyMap<string, string>;
  now: number;
}

export type Action =
  | { kind: 'start'; alloc: Allocation; job: Job }
  | { kind: 'remove'; allocId: string; containerIds: string[]; reason: string }
  | { kind: 'stop'; allocId: string; containerIds: string[]; reason: string };

export interface Plan {
  /** Per allocation, in order: a `remove` before a `start` of the same allocation. */
  actions: Action[];
  /** Statuses as they are now; allocations with a pending stop report nothing until it is done. */
  statuses: AllocStatus[];
}

/** Docker's zero time: a container that was created but never started. */
function everStarted(c: ContainerInfo): boolean {
  return !!c.startedAt && !c.startedAt.startsWith('0001-');
}

export function plan(input: PlanInput): Plan {
  const byAlloc = new Map<string, ContainerInfo[]>();
  for (const c of input.containers) {
    const id = c.labels[AGENT_LABELS.alloc];
    if (id !== undefined) byAlloc.set(id, [...(byAlloc.get(id) ?? []), c]);
  }
  const actions: Action[] = [];
  const statuses: AllocStatus[] = [];
  const desiredIds = new Set<string>();

  for (const d of input.allocs) {
    const id = d.alloc.id;
    desiredIds.add(id);
    const cs = ordered(byAlloc.get(id) ?? [], d.job);
    const ids = cs.map((c) => c.id);
    const prev = input.previous.get(id);
    const check = input.checks?.get(id);
    let failure: { type: AllocEventType; message: string } | undefined;
    const report = (s: AllocStatus) => {
      const events = appendEvent(prev?.events, transitionEvent(prev, s, failure, input.now));
      statuses.push(events ? { ...s, events } : s);
    };
    const status = (state: AllocStatus['state'], message?: string, healthy = false): AllocStatus => {
      const s: AllocStatus = { allocId: id, state, containerIds: ids, healthy, updatedAt: input.now };
      if (healthy) s.healthySince = prev?.healthy && prev.healthySince ? prev.healthySince : input.now;
      if (message) s.message = message;
      return s;
    };

    if (d.alloc.desired === 'stop') {
      if (cs.length) actions.push({ kind: 'remove', allocId: id, containerIds: ids, reason: 'allocation stopped' });
      // A failed allocation stays failed, with its reason, once its containers are gone: it is the
      // record of why its replica is being replaced (not "stopped").
      else if (prev?.state === 'failed') report(status('failed', prev.message));
      else report(status('stopped'));
      continue;
    }

    // Failure is sticky for an allocation: the scheduler replaces it (new id, same ordinal).
    const startFailed = input.startFailures.get(id);
    const failedBefore = startFailed?.message ?? (prev?.state === 'failed' ? (prev.message ?? 'failed') : undefined);
    const running = cs.filter((c) => c.running);
    const died = cs.filter((c) => !c.running && everStarted(c));
    const first = firstDied(died);
    if (first) {
      failure = exitReason(first, cs.length > 1, input.tails?.get(first.id));
      const message = failedBefore ?? failure.message;
      // A pod fails as a unit: stop the members still running, keep them all for inspection.
      if (running.length) actions.push({ kind: 'stop', allocId: id, containerIds: running.map((c) => c.id), reason: 'pod member died' });
      report(status('failed', message));
      continue;
    }
    if (failedBefore !== undefined) {
      // Start failed, or the dead containers were removed by hand: not restarted here either.
      failure = startFailed ?? { type: 'exited', message: failedBefore };
      report(status('failed', failedBefore));
      continue;
    }

    if (!d.job) {
      // Without the spec nothing is started or removed: running containers keep running.
      report(cs.length ? status(running.length ? 'running' : 'pending', d.jobMissing) : status('pending', d.jobMissing));
      continue;
    }
    const outdated = cs.some((c) => c.labels[AGENT_LABELS.version] !== String(d.alloc.jobVersion));
    const incomplete = cs.length < d.job.containers.length || cs.some((c) => !everStarted(c));
    if (cs.length === 0 || outdated || incomplete) {
      if (cs.length) {
        const reason = outdated ? `new job version ${d.alloc.jobVersion}` : 'incomplete pod';
        actions.push({ kind: 'remove', allocId: id, containerIds: ids, reason });
      }
      actions.push({ kind: 'start', alloc: d.alloc, job: d.job });
      report({ ...status('pending'), containerIds: [] });
      continue;
    }
    // Healthy: every container runs, none reports a HEALTHCHECK other than healthy, and the agent's
    // own check (when the job has one) passes.
    const dockerOk = cs.every((c) => c.running && !c.paused && (c.health === undefined || c.health === 'healthy'));
    const healthy = dockerOk && (check === undefined || check.status === 'passing');
    const s = status('running', healthy ? undefined : unhealthyReason(cs, check), healthy);
    if (check) s.check = check;
    report(s);
  }

  // Containers of allocations that are gone or live on another host now: fencing.
  for (const [id, cs] of byAlloc) {
    if (desiredIds.has(id)) continue;
    actions.push({ kind: 'remove', allocId: id, containerIds: cs.map((c) => c.id), reason: 'no allocation on this host' });
  }
  return { actions, statuses };
}

/**
 * The member whose death failed the pod: the earliest to finish (the others were stopped because of
 * it), then spec order. Docker's FinishedAt is RFC 3339 with nanoseconds: equal lengths compare as text.
 */
function firstDied(died: readonly ContainerInfo[]): ContainerInfo | undefined {
  const at = (c: ContainerInfo) => (c.finishedAt && !c.finishedAt.startsWith('0001-') ? Date.parse(c.finishedAt) : Number.MAX_SAFE_INTEGER);
  return [...died].sort((a, b) => at(a) - at(b))[0];
}

/** Containers in `job.containers` order (the status reports ids in that order). */
function ordered(cs: ContainerInfo[], job: Job | undefined): ContainerInfo[] {
  const rank = (c: ContainerInfo) => {
    const i = job?.containers.findIndex((m) => m.name === c.labels[AGENT_LABELS.member]) ?? -1;
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  return [...cs].sort((a, b) => rank(a) - rank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Two statuses say the same thing (ignoring when they were computed, and a check's timing: a status
 * is rewritten when the check's verdict or output changes, not after every probe).
 */
export function sameStatus(a: AllocStatus | undefined, b: AllocStatus): boolean {
  if (!a) return false;
  const lastEvent = (s: AllocStatus) => {
    const e = s.events?.[s.events.length - 1];
    return e ? `${s.events!.length}:${e.at}:${e.type}` : '';
  };
  return (
    a.state === b.state &&
    a.healthy === b.healthy &&
    a.healthySince === b.healthySince &&
    a.message === b.message &&
    a.containerIds.join(',') === b.containerIds.join(',') &&
    a.check?.status === b.check?.status &&
    a.check?.output === b.check?.output &&
    lastEvent(a) === lastEvent(b)
  );
}
