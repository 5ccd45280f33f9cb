/** Defaults, in one place (README.md, "Job spec"; Nomad's and Kubernetes' where it is silent). */
export const JOB_DEFAULTS = {
  count: 1,
  resources: { cpu: 100, memory: 128 },
  health: { intervalMs: 10_000, timeoutMs: 2_000 },
  /** progressDeadline: Kubernetes' progressDeadlineSeconds is 10 min, Nomad's progress_deadline 10 min; 5 min fails faster. */
  update: { maxParallel: 1, minHealthyMs: 5_000, progressDeadlineMs: 300_000 },
  /** Kubernetes' CrashLoopBackOff doubles from 10 s to 5 min; Nomad's exponential reschedule from 30 s to 1 h. */
  reschedule: { delayMs: 1_000, maxDelayMs: 300_000 },
  strategy: 'spread',
} as const;
