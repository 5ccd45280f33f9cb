export * from './types.js';
export { parseJobSpec, validateJob, jobChangesWhatRuns, SpecError, type SpecProblem } from './spec/index.js';
export { reconcile, type Plan, type ReconcileState } from './reconcile/index.js';
export { startScheduler, type Scheduler, type SchedulerMetrics, type SchedulerOptions } from './service/index.js';
export { submitJob, stopJob, scaleJob, getJob, listJobs, jobHistory, jobStatus, JobError, type JobStatus, type SubmitResult } from './jobs.js';
