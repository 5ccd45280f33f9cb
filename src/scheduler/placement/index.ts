export { ClusterUsage, demandOf, type Demand, type HostSlot, type UsageSnapshot } from './usage.js';
export { JobFeasibility, REASONS, type Dimension, type Verdict } from './feasible.js';
export { SCORERS, utilisationAfter, type Scorer } from './rank.js';
export { placeJob, placeReplicas, placeOnHosts, globalTargets, type PlaceOptions, type PlaceResult, type Placement } from './place.js';
export { placePinned, type Pin } from './sticky.js';
export { explainHosts, placementFailure, type FilterMetrics } from './explain.js';
export { seededRng, hashString, type Rng } from './rng.js';
export { globToRegExp, anyGlob } from './glob.js';
