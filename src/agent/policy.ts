/**
 * What this agent lets a job do to its host, as Nomad's docker driver options (`allow_privileged`,
 * `allow_caps`, `volumes.enabled`) do: a job spec is the cluster's, but privileged containers, added
 * capabilities and host paths reach into one host, so each host's operator decides. Pure: the host
 * path checks that need the file system are in mounts.ts.
 */
import { DOCKER_DEFAULT_CAPABILITIES } from '../scheduler/spec/linux.js';
import type { Job } from '../state/index.js';

export interface ContainerPolicy {
  /** Host path prefixes jobs may mount (real paths; none by default). */
  allowHostPaths: readonly string[];
  allowPrivileged: boolean;
  /** Capabilities jobs may add beyond Docker's defaults (`ALL` allows any). */
  allowCaps: readonly string[];
}

export const DENY_ALL: ContainerPolicy = { allowHostPaths: [], allowPrivileged: false, allowCaps: [] };

/** Why this agent refuses the job's privileged mode or added capabilities (empty: allowed). */
export function privilegeProblems(job: Job, policy: ContainerPolicy, host: string): string[] {
  const problems: string[] = [];
  const allowed = new Set(policy.allowCaps);
  for (const c of job.containers) {
    const who = job.containers.length > 1 ? `container ${c.name}: ` : '';
    if (c.privileged && !policy.allowPrivileged) {
      problems.push(`${who}privileged mode is refused by the agent on ${host} (start it with --allow-privileged)`);
    }
    const refused = (c.capAdd ?? []).filter((cap) => !DOCKER_DEFAULT_CAPABILITIES.has(cap) && !allowed.has(cap) && !allowed.has('ALL'));
    if (refused.length) {
      problems.push(`${who}capabilities ${refused.join(', ')} are refused by the agent on ${host} (start it with --allow-cap ${refused.join(',')})`);
    }
  }
  return problems;
}

/** True when `path` is `prefix` or lies below it (`/srv/x` is not below `/srv/xy`). */
export function isUnder(path: string, prefix: string): boolean {
  if (prefix === '/') return path.startsWith('/');
  return path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);
}
