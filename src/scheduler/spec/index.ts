export { parseJobSpec, validateJob, JOB_DEFAULTS } from './parse.js';
export { SpecError, type SpecProblem } from './errors.js';
export { jobChangesWhatRuns } from './changes.js';
export { parseDuration, formatDuration } from './duration.js';
export { SPEC_LIMITS, type SpecLimits } from './limits.js';
