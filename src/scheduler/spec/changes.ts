import type { Job } from '../types.js';

/**
 * Whether going from `a` to `b` needs a new job version (and so a rolling replacement of every
 * allocation). Everything that reaches the containers counts (image, command, env, ports, resources,
 * tags and labels, which become container labels, health), and so do placement rules: a new
 * constraint re-places replicas through the rollout, as Nomad does for destructive updates.
 * Not counted: `count` (scaling keeps the running replicas), `update`, `strategy` and `reschedule`
 * (they only steer how the scheduler acts, not what runs).
 */
export function jobChangesWhatRuns(a: Job, b: Job): boolean {
  return canonical(whatRuns(a)) !== canonical(whatRuns(b));
}

function whatRuns(job: Job): unknown {
  const { count: _count, update: _update, strategy: _strategy, reschedule: _reschedule, ...rest } = job;
  return rest;
}

/** JSON with sorted object keys, so key order in the spec never makes a new version. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : v,
  );
}
