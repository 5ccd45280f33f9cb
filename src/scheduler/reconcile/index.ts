export { reconcile } from './reconcile.js';
export { stablyHealthy, type HostState } from './classify.js';
export {
  claimKey,
  versionKey,
  emptyPlan,
  DEFAULT_GRACE_MS,
  DEFAULT_CLAIM_GRACE_MS,
  type Claim,
  type Plan,
  type ReconcileState,
} from './types.js';
