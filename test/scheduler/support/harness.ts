import type { HostStatus } from '../../../src/catalog/types.js';
import { reconcile, versionKey, type Plan } from '../../../src/scheduler/reconcile/index.js';
import type { AllocStatus, Allocation, Evaluation, Job, JobRecord, VolumeHome } from '../../../src/scheduler/types.js';
import { jobChangesWhatRuns } from '../../../src/scheduler/spec/index.js';

/**
 * Nomad's scheduler/tests Harness: plays both the state store and the planner. `process()` runs one
 * reconcile pass over the harness's state, records the plan and applies it; `agents()` plays every
 * live host's agent (start what is allocated, report healthy; stop what is asked to stop).
 */
export class Harness {
  now = 1_000_000;
  seed = 1;
  graceMs = 10_000;
  readonly hosts = new Map<string, HostStatus>();
  readonly jobs = new Map<string, JobRecord>();
  readonly allocs = new Map<string, Allocation>();
  readonly statuses = new Map<string, AllocStatus>();
  readonly downSince = new Map<string, number>();
  readonly evaluations = new Map<string, Evaluation>();
  readonly plans: Plan[] = [];
  /** Every version's spec, as the job store keeps them. */
  readonly versions = new Map<string, Job>();
  /** Volume homes by `<job>/<ordinal>`, kept as the scheduler's commit keeps them. */
  readonly homes = new Map<string, VolumeHome>();

  constructor(hosts: HostStatus[] = []) {
    for (const h of hosts) this.hosts.set(h.name, h);
  }

  /** Submits like the job store: a new version only when what runs changes. */
  submit(job: Job): JobRecord {
    const prev = this.jobs.get(job.name);
    const version = prev ? prev.version + (jobChangesWhatRuns(prev.job, job) ? 1 : 0) : 1;
    const record: JobRecord = { job, version, submittedAt: this.now, stopped: false };
    this.jobs.set(job.name, record);
    this.versions.set(versionKey(job.name, version), job);
    return record;
  }

  scale(name: string, count: number): void {
    const r = this.jobs.get(name)!;
    this.jobs.set(name, { ...r, job: { ...r.job, count } });
  }

  stopJob(name: string): void {
    const r = this.jobs.get(name)!;
    this.jobs.set(name, { ...r, stopped: true });
  }

  setAlive(name: string, alive: boolean): void {
    this.hosts.set(name, { ...this.hosts.get(name)!, alive });
    if (alive) this.downSince.delete(name);
    else this.downSince.set(name, this.now);
  }

  advance(ms: number): void {
    this.now += ms;
  }

  process(): Plan {
    const plan = reconcile({
      now: this.now,
      hosts: [...this.hosts.values()],
      jobs: [...this.jobs.values()],
      allocations: [...this.allocs.values()],
      statuses: this.statuses,
      hostDownSince: this.downSince,
      graceMs: this.graceMs,
      seed: this.seed++,
      previous: this.evaluations,
      versions: this.versions,
      volumeHomes: this.homes,
    });
    this.plans.push(plan);
    for (const a of plan.place) {
      this.allocs.set(a.id, a);
      // Where each replica's named volumes live, as the service commits it with the placement.
      const home = plan.homes?.get(a.id);
      if (home) this.homes.set(`${a.job}/${a.ordinal}`, home);
    }
    for (const a of plan.stop) this.allocs.set(a.id, { ...a, desired: 'stop' });
    for (const a of plan.remove) {
      this.allocs.delete(a.id);
      this.statuses.delete(a.id);
    }
    for (const e of plan.evaluations) this.evaluations.set(e.job, e);
    return plan;
  }

  /** Every live host's agent: new allocations start (healthy at once), stop-desired ones stop. */
  agents(opts: { healthy?: boolean } = {}): number {
    let changes = 0;
    for (const a of this.allocs.values()) {
      if (!this.hosts.get(a.host)?.alive) continue;
      const s = this.statuses.get(a.id);
      if (a.desired === 'stop') {
        if (s?.state !== 'stopped' && s?.state !== 'failed') {
          this.report(a.id, { state: 'stopped', healthy: false });
          changes++;
        }
      } else if (!s) {
        const healthy = opts.healthy ?? true;
        this.report(a.id, { state: 'running', healthy, ...(healthy ? { healthySince: this.now } : {}) });
        changes++;
      }
    }
    return changes;
  }

  report(allocId: string, s: Partial<AllocStatus> & Pick<AllocStatus, 'state'>): void {
    this.statuses.set(allocId, { allocId, containerIds: [], healthy: false, updatedAt: this.now, ...s });
  }

  /** process() + agents() until neither changes anything (or `rounds` passes). */
  settle(rounds = 10): void {
    for (let i = 0; i < rounds; i++) {
      const p = this.process();
      const reported = this.agents();
      if (p.place.length === 0 && p.stop.length === 0 && p.remove.length === 0 && reported === 0) return;
    }
  }

  running(job?: string): Allocation[] {
    return [...this.allocs.values()]
      .filter((a) => a.desired === 'run' && (job === undefined || a.job === job))
      .sort((a, b) => a.ordinal - b.ordinal);
  }
}
