import type { ViewChange } from '../../view/types.js';
import { anyGlob } from '../placement/index.js';
import type { Evaluation, Job } from '../types.js';

/** What the view reported changed since the last pass (accumulated; a pass takes it whole). */
export interface Changes {
  /** A full re-sync: treat everything as changed. */
  reset: boolean;
  /** Job records edited, added or deleted. */
  jobs: Set<string>;
  /** Jobs whose allocations or allocation statuses changed. */
  allocJobs: Set<string>;
  /** Hosts that appeared, went down or came back, changed capacity or metadata, or were removed. */
  hosts: Set<string>;
  /** Jobs asked for by the clock (back-off, rollouts, grace periods) or by a lost race. */
  extra: Set<string>;
}

export function noChanges(): Changes {
  return { reset: false, jobs: new Set(), allocJobs: new Set(), hosts: new Set(), extra: new Set() };
}

export function noteChange(into: Changes, c: ViewChange): void {
  if (c.reset) into.reset = true;
  for (const j of c.jobs) into.jobs.add(j);
  for (const j of c.allocJobs) into.allocJobs.add(j);
  for (const h of c.hosts) into.hosts.add(h);
}

export function isEmpty(c: Changes): boolean {
  return !c.reset && c.jobs.size === 0 && c.allocJobs.size === 0 && c.hosts.size === 0 && c.extra.size === 0;
}

/**
 * Which jobs a change touches — Nomad's evaluation triggers: a job's own edit or allocation/status
 * change; a host's liveness or capacity change → the jobs with allocations there, every global job
 * (it targets every host), and every blocked job (it may fit now); capacity freed anywhere →
 * blocked jobs; a job's allocations moving → the jobs that co-locate with it or conflict with it.
 * Kept between passes: which jobs are global, blocked (their last evaluation left replicas
 * unplaced), time-bound (their outcome changes with the clock alone) or relate to other jobs.
 */
export class Selection {
  private readonly global = new Set<string>();
  private readonly related = new Map<string, { colocate?: string; conflicts?: RegExp }>();
  readonly blocked = new Set<string>();
  readonly timed = new Set<string>();

  /** Records what the selection needs of a job's spec (undefined: the job is gone). */
  setJob(name: string, job: Job | undefined): void {
    if (job?.global) this.global.add(name);
    else this.global.delete(name);
    const colocate = job?.constraints.colocateWith;
    const conflicts = anyGlob(job?.constraints.conflictsWith);
    if (colocate !== undefined || conflicts) this.related.set(name, { ...(colocate !== undefined ? { colocate } : {}), ...(conflicts ? { conflicts } : {}) });
    else this.related.delete(name);
    if (!job) {
      this.blocked.delete(name);
      this.timed.delete(name);
    }
  }

  /** After a pass: what each evaluated job's evaluation says about when to look at it again. */
  evaluated(ev: Evaluation): void {
    if (ev.failures.length > 0) this.blocked.add(ev.job);
    else this.blocked.delete(ev.job);
    if (ev.delayed?.length || ev.rollout?.state === 'running') this.timed.add(ev.job);
    else this.timed.delete(ev.job);
  }

  /** The jobs to evaluate for `c`; `freed`: some allocation stopped holding resources. */
  select(c: Changes, jobsOnHost: (host: string) => Iterable<string>, freed: boolean): Set<string> {
    const out = new Set<string>([...c.jobs, ...c.allocJobs, ...c.extra]);
    for (const h of c.hosts) for (const j of jobsOnHost(h)) out.add(j);
    if (c.hosts.size > 0) for (const j of this.global) out.add(j);
    if (c.hosts.size > 0 || freed) for (const j of this.blocked) out.add(j);
    if (this.related.size > 0) for (const j of c.allocJobs) this.addRelated(j, out);
    return out;
  }

  private addRelated(job: string, out: Set<string>): void {
    const mine = this.related.get(job);
    // A job with conflictsWith arriving on a host takes it from global jobs it conflicts with.
    if (mine?.conflicts) for (const g of this.global) if (mine.conflicts.test(g)) out.add(g);
    for (const [name, r] of this.related) {
      if (name !== job && (r.colocate === job || r.conflicts?.test(job))) out.add(name);
    }
  }
}
