export { startScheduler, type Scheduler, type SchedulerMetrics, type SchedulerOptions, type PassReport } from './scheduler.js';
export type { PassTiming } from './timeline.js';
export { commitPlan, type CommitResult } from './commit.js';
export { readSnapshot, type CatalogSnapshot } from './snapshot.js';
