/**
 * The plain-data metrics snapshot of the proxy (the API maps it onto prom-client): per service
 * requests by status class, retries, a latency histogram and L4 connection counts; per instance
 * requests, connect errors, ejections and live state.
 */
import { classRecord, type HistogramSnapshot, type StatusClass } from './stats.js';
import type { RouteRegistry } from './table.js';

export interface InstanceMetrics {
  id: string;
  address: string;
  port: number;
  requests: Record<StatusClass, number>;
  connectErrors: number;
  ejections: number;
  connections: number;
  inFlight: number;
  ejected: boolean;
  draining: boolean;
}

export interface ServiceMetrics {
  service: string;
  requests: Record<StatusClass, number>;
  retries: number;
  latencySeconds: HistogramSnapshot;
  connections: number;
  activeConnections: number;
  failedConnections: number;
  instances: InstanceMetrics[];
}

export interface ProxyMetrics {
  /** Requests whose Host matched no service (answered 404). */
  unrouted: number;
  services: ServiceMetrics[];
}

export function collectMetrics(registry: RouteRegistry, unrouted: number, now = Date.now()): ProxyMetrics {
  const { live, draining } = registry.upstreams();
  const byService = new Map<string, InstanceMetrics[]>();
  for (const u of [...live, ...draining]) {
    const list = byService.get(u.service) ?? [];
    list.push({
      id: u.id,
      address: u.address,
      port: u.port,
      requests: classRecord(u.stats.requests),
      connectErrors: u.stats.connectErrors,
      ejections: u.stats.ejections,
      connections: u.stats.connections,
      inFlight: u.inFlight,
      ejected: u.isEjected(now),
      draining: u.draining,
    });
    byService.set(u.service, list);
  }
  const services: ServiceMetrics[] = [];
  for (const [service, s] of registry.serviceStats()) {
    services.push({
      service,
      requests: classRecord(s.requests),
      retries: s.retries,
      latencySeconds: s.latency.snapshot(),
      connections: s.connections,
      activeConnections: s.activeConnections,
      failedConnections: s.failedConnections,
      instances: (byService.get(service) ?? []).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    });
  }
  return { unrouted, services };
}
