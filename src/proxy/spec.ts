/**
 * The pure core of the proxy: catalog snapshot in, frozen route spec out (fabio's
 * `registry/consul/passing.go` + `route/table.go` idea). No sockets, no clocks, no state: the live
 * layer (table.ts) turns a spec into balancers, and `diffSpecs` tells it what to open and drain.
 *
 * Proportional to what changed: given the previous spec, a service whose instances carry the same
 * routing fields as before keeps its `ServiceSpec` object (same reference), so a snapshot of 10,000
 * instances with one change rebuilds one service and the live layer touches one route.
 */
import type { ServiceInstance } from '../catalog/types.js';
import { ACCESS_LOG_META, serviceMode, type AccessLogMode } from './access-log.js';
import { ShardedMap } from './spec-map.js';
import { sameRouting, serviceSpecOf, type InstanceSpec } from './spec-service.js';

export { instanceKey, serviceHost, PROXY_PORT_META, type InstanceSpec } from './spec-service.js';

export interface ServiceSpec {
  service: string;
  /** Lowercased `<svc>.service.<zone>`: the L7 route key. */
  host: string;
  /** Passing instances only, sorted by key so equal snapshots give equal specs. */
  healthy: readonly InstanceSpec[];
  /** Every instance of the service whatever its health: their upstream state is kept. */
  all: readonly InstanceSpec[];
  /** Proxy ports claimed by passing instances → those instances. */
  claims: ReadonlyMap<number, readonly InstanceSpec[]>;
  /** Access-log mode asked for by its instances (meta `access-log`); undefined: the process default. */
  accessLog: AccessLogMode | undefined;
  problems: readonly string[];
  /** The catalog instances it was built from (catalog order): the next snapshot is compared to them. */
  source: readonly ServiceInstance[];
}

export interface L4Spec {
  port: number;
  service: string;
  /** Passing instances of `service` asking for this proxy port. */
  healthy: readonly InstanceSpec[];
}

export interface RouteSpec {
  zone: string;
  /**
   * Every known service, including those without a passing instance (they answer 503, not 404).
   * Shared with the spec it follows except for the shards an update touched (spec-map.ts); in no
   * particular order.
   */
  services: ShardedMap<ServiceSpec>;
  l4: ReadonlyMap<number, L4Spec>;
  /** Every instance in the snapshot whatever its health, by key (built on first use: not on the update path). */
  readonly instances: ReadonlyMap<string, InstanceSpec>;
  /** Human-readable problems (bad or conflicting proxy ports), for a warning log. */
  problems: readonly string[];
  /** Unique per spec. */
  readonly version: number;
  /** When set: the only services whose spec may differ from those of spec `changedFrom` (spec-update.ts). */
  readonly changed?: ReadonlySet<string>;
  readonly changedFrom?: number;
}

/** Builds the route spec of one catalog snapshot; with `previous`, unchanged services are reused. */
export function buildRouteSpec(snapshot: readonly ServiceInstance[], zone: string, previous?: RouteSpec): RouteSpec {
  const z = zone.replace(/\.+$/, '').toLowerCase();
  const reuse = previous?.zone === z ? previous.services : undefined;
  const groups = new Map<string, ServiceInstance[]>();
  for (const inst of snapshot) {
    const list = groups.get(inst.service);
    if (list) list.push(inst);
    else groups.set(inst.service, [inst]);
  }
  const services: [string, ServiceSpec][] = [];
  for (const [service, source] of groups) {
    const old = reuse?.get(service);
    services.push([service, old !== undefined && sameRouting(old.source, source) ? old : buildService(service, z, source, old)]);
  }
  return assembleSpec(z, ShardedMap.of(services));
}

/**
 * A spec from its services: the L4 ports (from their claims) and the problems, unless `kept` gives
 * them unchanged from the spec this one follows; `delta` says which services changed since which.
 */
export function assembleSpec(zone: string, services: ShardedMap<ServiceSpec>, kept?: Pick<RouteSpec, 'l4' | 'problems'>, delta?: Pick<RouteSpec, 'changed' | 'changedFrom'>): RouteSpec {
  let { l4, problems } = kept ?? { l4: new Map<number, L4Spec>(), problems: [] as string[] };
  if (kept === undefined) {
    const all: string[] = [];
    const l4Claims = new Map<number, string[]>();
    for (const service of [...services.keys()].sort(cmp)) {
      const spec = services.get(service)!;
      all.push(...spec.problems);
      for (const port of spec.claims.keys()) {
        const list = l4Claims.get(port);
        if (list) list.push(service);
        else l4Claims.set(port, [service]);
      }
    }
    const ports = new Map<number, L4Spec>();
    for (const port of [...l4Claims.keys()].sort((a, b) => a - b)) {
      // Two services claiming one port: the alphabetically first wins, deterministically on every host.
      const names = l4Claims.get(port)!;
      if (names.length > 1) all.push(`proxy port ${port} claimed by ${names.join(', ')}; serving ${names[0]}`);
      ports.set(port, Object.freeze({ port, service: names[0]!, healthy: services.get(names[0]!)!.claims.get(port)! }));
    }
    l4 = ports;
    problems = Object.freeze(all);
  }
  let instances: Map<string, InstanceSpec> | undefined;
  return Object.freeze({
    zone,
    services,
    l4,
    problems,
    version: ++versions,
    changed: delta?.changed,
    changedFrom: delta?.changedFrom,
    get instances() {
      instances ??= new Map([...services.values()].flatMap((s) => s.all.map((i) => [i.key, i] as const)));
      return instances;
    },
  });
}

/** Spec versions: a spec that follows another by a known set of changes names its version (not the object: no chain is kept alive). */
let versions = 0;

/** One service's spec; `before`: its previous spec, whose unchanged instance specs are kept. */
export function buildService(service: string, zone: string, source: readonly ServiceInstance[], before?: ServiceSpec): ServiceSpec {
  const s = serviceSpecOf(service, zone, source, before?.all);
  const accessLog = serviceMode(source.filter((i) => i.health === 'passing').map((i) => i.meta?.[ACCESS_LOG_META]));
  // Every field in one literal: a spread plus two more gave each spec a hidden class of its own
  // (~350 bytes, garbage at the service's next change).
  return Object.freeze({ service: s.service, host: s.host, healthy: s.healthy, all: s.all, claims: s.claims, problems: s.problems, accessLog, source });
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

/** What changed between two specs; only services whose spec object changed are looked into. */
export function diffSpecs(prev: RouteSpec | undefined, next: RouteSpec): SpecDiff {
  const before = new Map<string, InstanceSpec>();
  const after = new Map<string, InstanceSpec>();
  // A spec made from `prev` by known changes: only those services are looked at.
  const names = prev !== undefined && next.changed !== undefined && next.changedFrom === prev.version ? next.changed : new Set([...next.services.keys(), ...(prev?.services.keys() ?? [])]);
  for (const name of names) {
    const s = next.services.get(name);
    const p = prev?.services.get(name);
    if (p === s) continue;
    if (s) for (const i of s.all) after.set(i.key, i);
    if (p) for (const i of p.all) before.set(i.key, i);
  }
  const added = [...after.values()].filter((i) => !before.has(i.key));
  const removed = [...before.keys()].filter((k) => !after.has(k));
  const sameL4 = prev?.l4 === next.l4;
  const opened = sameL4 ? [] : [...next.l4.keys()].filter((p) => !prev?.l4.has(p));
  const closed = prev && !sameL4 ? [...prev.l4.keys()].filter((p) => !next.l4.has(p)) : [];
  return { added, removed, opened, closed };
}

/** An empty spec: what the proxy serves before the first snapshot (every host is 404). */
export function emptySpec(zone: string): RouteSpec {
  return buildRouteSpec([], zone);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
