import { ClusterUsage, runSteps, type Steps } from '../placement/index.js';
import type { Allocation } from '../types.js';
import { hostStates } from './classify.js';
import { planJobs } from './planner.js';
import { homesByJob } from './sticky.js';
import { versionKey, type JobPassInput, type Plan, type ReconcileState } from './types.js';

/**
 * Desired state (job records) against actual state (allocations, agent statuses, hosts) → a Plan,
 * over the whole cluster. Pure: the same state and seed give the same plan. Every job is evaluated
 * (planner.ts has the order and the rules); the service evaluates only jobs whose inputs changed,
 * through the same planner.
 */
export function reconcile(state: ReconcileState): Plan {
  return runSteps(reconcileSteps(state));
}

/** `reconcile` as steps, for callers that slice a long pass (service/slice.ts). */
export function reconcileSteps(state: ReconcileState): Steps<Plan> {
  const byJob = new Map<string, Allocation[]>();
  for (const a of state.allocations) {
    const list = byJob.get(a.job);
    if (list) list.push(a);
    else byJob.set(a.job, [a]);
  }
  const records = new Map(state.jobs.map((r) => [r.job.name, r]));
  const homes = state.volumeHomes ? homesByJob(state.volumeHomes) : undefined;
  const input: JobPassInput = {
    ...state,
    hosts: hostStates(state),
    usage: new ClusterUsage({
      hosts: state.hosts,
      allocations: state.allocations,
      jobs: new Map([...records].map(([name, r]) => [name, r.job])),
      specOf: (a) => state.versions?.get(versionKey(a.job, a.jobVersion)),
    }),
    known: new Set(state.allocations.map((a) => a.id)),
    record: (job) => records.get(job),
    allocsOf: (job) => byJob.get(job) ?? [],
    ...(homes ? { homesOf: (job: string) => homes.get(job) ?? new Map() } : {}),
  };
  return planJobs(input, [...records.keys(), ...byJob.keys()]);
}
