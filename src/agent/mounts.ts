/**
 * Before a pod starts: this agent's leave (privileged, capabilities, host paths), then its named
 * volumes. A refusal is an Error whose message is the reason the allocation reports; the executor
 * fails the allocation with it (the scheduler then replaces it with back-off, and `maestro ps`
 * shows why).
 *
 * Host paths are checked as the kernel will see them: the real path (every symlink resolved) must
 * lie under the real path of an `--allow-host-path` prefix, and that resolved path is what Docker
 * mounts — so `/srv/x/link -> /etc` is refused, and a link changed after the check is not followed.
 * The spec already refuses `..` components; resolving here is what makes traversal impossible.
 */
import { realpath as fsRealpath } from 'node:fs/promises';
import type { DockerPort } from '../docker/types.js';
import { instanceName, isNamedVolume, namedVolumes, volumeName, type Allocation, type Job } from '../state/index.js';
import { AGENT_LABELS } from './labels.js';
import { isUnder, privilegeProblems, type ContainerPolicy } from './policy.js';

export class PodRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PodRefused';
  }
}

export type Realpath = (path: string) => Promise<string>;

/** Spec host path → the real path to mount. Throws PodRefused naming every path refused. */
export async function resolveHostPaths(job: Job, policy: ContainerPolicy, host: string, realpath: Realpath = fsRealpath): Promise<Map<string, string>> {
  const wanted = new Set<string>();
  for (const c of job.containers) for (const v of c.volumes ?? []) if (!isNamedVolume(v)) wanted.add(v.host);
  const out = new Map<string, string>();
  if (wanted.size === 0) return out;
  if (policy.allowHostPaths.length === 0) {
    throw new PodRefused(`host paths ${[...wanted].join(', ')} refused: the agent on ${host} allows none (start it with --allow-host-path PREFIX)`);
  }
  const prefixes = (await Promise.all(policy.allowHostPaths.map((p) => realpath(p).catch(() => undefined)))).filter((p): p is string => p !== undefined);
  const problems: string[] = [];
  for (const path of wanted) {
    let real: string;
    try {
      real = await realpath(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      problems.push(code === 'ENOENT' ? `host path ${path} does not exist on ${host}` : `host path ${path} cannot be resolved on ${host}: ${code ?? (err as Error).message}`);
      continue;
    }
    if (!prefixes.some((p) => isUnder(real, p))) {
      const via = real === path ? '' : ` (it resolves to ${real})`;
      problems.push(`host path ${path}${via} is outside the agent's allowed prefixes on ${host}: ${policy.allowHostPaths.join(', ')}`);
      continue;
    }
    out.set(path, real);
  }
  if (problems.length) throw new PodRefused(problems.join('; '));
  return out;
}

/**
 * Checks the agent's leave and creates the replica's named volumes (`<job>-<ordinal>-<name>`,
 * labelled with the job, instance and host so `docker volume ls --filter label=maestro.job=redis`
 * lists them). Returns the host paths to mount.
 */
export async function preparePod(job: Job, alloc: Allocation, policy: ContainerPolicy, host: string, docker: DockerPort, realpath?: Realpath): Promise<Map<string, string>> {
  const refused = privilegeProblems(job, policy, host);
  if (refused.length) throw new PodRefused(refused.join('; '));
  const hostPaths = await resolveHostPaths(job, policy, host, realpath);
  for (const name of namedVolumes(job)) {
    await docker.ensureVolume(volumeName(job.name, alloc.ordinal, name), {
      [AGENT_LABELS.job]: job.name,
      [AGENT_LABELS.instance]: instanceName(job.name, alloc.ordinal),
      [AGENT_LABELS.host]: host,
      'maestro.volume': name,
    });
  }
  return hostPaths;
}
