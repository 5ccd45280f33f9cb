/**
 * Health reported by the host agent's own checks (HTTP/TCP probes from the host, src/agent/checks/)
 * for the containers it started. The registrar stays the one writer of this host's instances: it
 * asks the agent for its verdict while deriving a container's instances, and the agent asks the
 * registrar to re-derive a container when a verdict changes. An instance's health is the worse of
 * Docker's view (HEALTHCHECK, paused) and the agent's: a replica is served only when both agree.
 */
import type { Health, ServiceInstance } from '../catalog/types.js';

/** The agent's verdict on a container, by its labels; undefined: it has no check of its own. */
export type HealthReport = (labels: Readonly<Record<string, string>>) => Health | undefined;

const RANK: Record<Health, number> = { passing: 0, warning: 1, critical: 2 };

export function worse(a: Health, b: Health | undefined): Health {
  return b !== undefined && RANK[b] > RANK[a] ? b : a;
}

/** `instances` of a container labelled `labels`, each with the agent's verdict folded in. */
export function withReportedHealth(instances: ServiceInstance[], labels: Readonly<Record<string, string>>, report: HealthReport | undefined): ServiceInstance[] {
  const reported = report?.(labels);
  if (reported === undefined) return instances;
  return instances.map((i) => {
    const health = worse(i.health, reported);
    return health === i.health ? i : { ...i, health };
  });
}
