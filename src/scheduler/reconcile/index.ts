export { reconcile, reconcileSteps } from './reconcile.js';
export { planJobs } from './planner.js';
export { stablyHealthy, hostState, type HostState } from './classify.js';
export {
  claimKey,
  versionKey,
  emptyPlan,
  DEFAULT_GRACE_MS,
  DEFAULT_CLAIM_GRACE_MS,
  type Claim,
  type JobPassInput,
  type Lookup,
  type PassState,
  type Plan,
  type ReconcileState,
} from './types.js';
