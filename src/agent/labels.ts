/**
 * The labels the agent writes on its containers: the shared ones from the scheduling model plus the
 * registrar's settings (README.md, "Labels"). Kept in one place so the agent's
 * diff, its tests and the README cannot drift apart.
 */
import { LABELS } from '../state/index.js';

export const AGENT_LABELS = {
  ...LABELS,
  tags: 'maestro.tags',
  ignore: 'maestro.ignore',
  /** The job version the container was created from; a different allocation version replaces it. */
  version: 'maestro.job-version',
  /** The pod member (`containers[i].name`) this container runs. */
  member: 'maestro.member',
} as const;

/** `maestro.port.<containerPort>.name`: the full service name the registrar registers that port under. */
export function portNameLabel(containerPort: number): string {
  return `maestro.port.${containerPort}.name`;
}

/** `maestro.port.<containerPort>.proxy`: the L4 proxy port, carried to `ServiceInstance.meta.proxy_port`. */
export function portProxyLabel(containerPort: number): string {
  return `maestro.port.${containerPort}.proxy`;
}
