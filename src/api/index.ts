export { startApi, type ApiOptions, type ApiServer } from './server.js';
export { ApiConfigError, isLoopbackHost } from './auth.js';
export { ApiError, type ApiErrorCode, type ErrorBody } from './errors.js';
export type { MetricsSource, MetricsSources } from './metrics.js';
export { parseSelector, matches, formatSelector, SelectorError, type Selector, type Requirement } from './selector.js';
export type { AllocView, JobSummary, JobDetail, HostView, ServiceView, JobState } from './views.js';
