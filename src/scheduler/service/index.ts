export { startScheduler, type Scheduler, type SchedulerMetrics, type SchedulerOptions } from './scheduler.js';
export { commitPlan, type CommitResult } from './commit.js';
export { readSnapshot, type CatalogSnapshot } from './snapshot.js';
