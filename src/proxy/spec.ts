/**
 * The pure core of the proxy: catalog snapshot in, frozen route spec out (fabio's
 * `registry/consul/passing.go` + `route/table.go` idea). No sockets, no clocks, no state: the live
 * layer (table.ts) turns a spec into balancers, and `diffSpecs` tells it what to open and drain.
 */
import type { ServiceInstance } from '../catalog/types.js';

/** The instance meta key that asks for an L4 listener (set by the registrar from `maestro.proxy`). */
export const PROXY_PORT_META = 'proxy_port';

/** What the data path needs of one instance. */
export interface InstanceSpec {
  /** `<id>@<address>:<port>`: a moved instance is a new upstream (new pool), not a mutated one. */
  key: string;
  id: string;
  service: string;
  name: string;
  address: string;
  port: number;
}

export interface ServiceSpec {
  service: string;
  /** Lowercased `<svc>.service.<zone>`: the L7 route key. */
  host: string;
  /** Passing instances only, sorted by key so equal snapshots give equal specs. */
  healthy: readonly InstanceSpec[];
}

export interface L4Spec {
  port: number;
  service: string;
  /** Passing instances of `service` asking for this proxy port. */
  healthy: readonly InstanceSpec[];
}

export interface RouteSpec {
  zone: string;
  /** Every known service, including those without a passing instance (they answer 503, not 404). */
  services: ReadonlyMap<string, ServiceSpec>;
  l4: ReadonlyMap<number, L4Spec>;
  /** Every instance in the snapshot whatever its health: their upstream state is kept. */
  instances: ReadonlyMap<string, InstanceSpec>;
  /** Human-readable problems (bad or conflicting proxy ports), for a warning log. */
  problems: readonly string[];
}

export function instanceKey(i: Pick<ServiceInstance, 'id' | 'address' | 'port'>): string {
  return `${i.id}@${i.address}:${i.port}`;
}

export function serviceHost(service: string, zone: string): string {
  return `${service}.service.${zone}`.toLowerCase();
}

/** Builds the route spec of one catalog snapshot. */
export function buildRouteSpec(snapshot: readonly ServiceInstance[], zone: string): RouteSpec {
  const z = zone.replace(/\.+$/, '').toLowerCase();
  const instances = new Map<string, InstanceSpec>();
  const healthyBy = new Map<string, InstanceSpec[]>();
  const l4Claims = new Map<number, Map<string, InstanceSpec[]>>();
  const problems: string[] = [];
  const sorted = [...snapshot].sort((a, b) => cmp(instanceKey(a), instanceKey(b)));
  for (const inst of sorted) {
    const spec: InstanceSpec = {
      key: instanceKey(inst),
      id: inst.id,
      service: inst.service,
      name: inst.name,
      address: inst.address,
      port: inst.port,
    };
    instances.set(spec.key, spec);
    if (!healthyBy.has(inst.service)) healthyBy.set(inst.service, []);
    const raw = inst.meta?.[PROXY_PORT_META];
    const proxyPort = raw === undefined || raw === '' ? undefined : parsePort(raw);
    if (proxyPort === null) problems.push(`instance ${inst.id}: ${PROXY_PORT_META}="${raw}" is not a port 1..65535`);
    if (inst.health !== 'passing') continue;
    healthyBy.get(inst.service)!.push(spec);
    if (typeof proxyPort === 'number') {
      let byService = l4Claims.get(proxyPort);
      if (!byService) l4Claims.set(proxyPort, (byService = new Map()));
      const list = byService.get(inst.service) ?? [];
      list.push(spec);
      byService.set(inst.service, list);
    }
  }
  const services = new Map<string, ServiceSpec>();
  for (const service of [...healthyBy.keys()].sort(cmp)) {
    const healthy = Object.freeze(healthyBy.get(service)!);
    services.set(service, Object.freeze({ service, host: serviceHost(service, z), healthy }));
  }
  const l4 = new Map<number, L4Spec>();
  for (const port of [...l4Claims.keys()].sort((a, b) => a - b)) {
    const byService = l4Claims.get(port)!;
    // Two services claiming one port: the alphabetically first wins, deterministically on every host.
    const names = [...byService.keys()].sort(cmp);
    if (names.length > 1) problems.push(`proxy port ${port} claimed by ${names.join(', ')}; serving ${names[0]}`);
    l4.set(port, Object.freeze({ port, service: names[0], healthy: Object.freeze(byService.get(names[0])!) }));
  }
  return Object.freeze({ zone: z, services, l4, instances, problems: Object.freeze(problems) });
}

export interface SpecDiff {
  /** Instances new to this spec: create their upstream. */
  added: InstanceSpec[];
  /** Instance keys gone from the catalog: drain (no new work, in-flight finishes, then close). */
  removed: string[];
  /** L4 ports to start and stop listening on. */
  opened: number[];
  closed: number[];
}

export function diffSpecs(prev: RouteSpec | undefined, next: RouteSpec): SpecDiff {
  const added: InstanceSpec[] = [];
  const removed: string[] = [];
  for (const [key, spec] of next.instances) if (!prev?.instances.has(key)) added.push(spec);
  if (prev) for (const key of prev.instances.keys()) if (!next.instances.has(key)) removed.push(key);
  const opened = [...next.l4.keys()].filter((p) => !prev?.l4.has(p));
  const closed = prev ? [...prev.l4.keys()].filter((p) => !next.l4.has(p)) : [];
  return { added, removed, opened, closed };
}

/** An empty spec: what the proxy serves before the first snapshot (every host is 404). */
export function emptySpec(zone: string): RouteSpec {
  return buildRouteSpec([], zone);
}

function parsePort(text: string): number | null {
  const n = Number(text);
  return /^\d+$/.test(text.trim()) && n >= 1 && n <= 65_535 ? n : null;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
