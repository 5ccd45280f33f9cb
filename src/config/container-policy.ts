import { absolutePathProblem } from '../scheduler/spec/container-options.js';
import { capabilityName } from '../scheduler/spec/linux.js';
import { ConfigError } from './errors.js';

/**
 * The agent's leave for jobs that reach into its host (`up`, `agent`): host path prefixes they may
 * mount, privileged mode, capabilities beyond Docker's defaults. None of it by default: a job spec
 * is anyone's with API access, the host is its operator's (src/agent/policy.ts).
 */
export interface ContainerPolicyConfig {
  allowHostPaths: string[];
  allowPrivileged: boolean;
  allowCaps: string[];
}

export function parseContainerPolicy(values: Record<string, unknown>): ContainerPolicyConfig {
  const paths = (values['allow-host-path'] as string[] | undefined) ?? [];
  for (const p of paths) {
    const problem = absolutePathProblem(p);
    if (problem) throw new ConfigError(`--allow-host-path: "${p}": ${problem}`);
  }
  const caps = ((values['allow-cap'] as string[] | undefined) ?? []).flatMap((c) => c.split(',')).map((c) => c.trim()).filter(Boolean);
  const allowCaps = caps.map((c) => {
    const name = capabilityName(c);
    if (!name) throw new ConfigError(`--allow-cap: "${c}" is not a Linux capability (NET_ADMIN, SYS_TIME, … or ALL)`);
    return name;
  });
  return { allowHostPaths: [...new Set(paths)], allowPrivileged: values['allow-privileged'] === true, allowCaps: [...new Set(allowCaps)] };
}
