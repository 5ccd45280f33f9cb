/**
 * The live route table: the pure RouteSpec joined with long-lived state (upstreams with their pools,
 * in-flight counts and ejections; balancer cursors; counters). Every update builds a new frozen
 * table and replaces one reference, so a request reads exactly one consistent table; state objects
 * are carried over by key, so an update never resets balancing, ejections or pools.
 */
import type { AccessLogMode } from './access-log.js';
import type { BalancerState } from './policy.js';
import { diffSpecs, emptySpec, type RouteSpec, type ServiceSpec, type SpecDiff } from './spec.js';
import { ShardedMap } from './spec-map.js';
import { ServiceStats } from './stats.js';
import { Upstream, type PoolOptions } from './upstream.js';

export interface Route {
  readonly service: string;
  /** Healthy, non-draining instances; possibly empty (→ 503). */
  readonly upstreams: readonly Upstream[];
  readonly state: BalancerState;
  readonly stats: ServiceStats;
  /** Which exchanges are logged (undefined: the process default), see access-log.ts. */
  readonly accessLog: AccessLogMode | undefined;
}

export interface LiveTable {
  readonly spec: RouteSpec;
  /** Key: lowercased `<svc>.service.<zone>`; shared with the table before but for the touched shards (spec-map.ts). */
  readonly byHost: ShardedMap<Route>;
  readonly byPort: ReadonlyMap<number, Route>;
}

interface ServiceState {
  state: BalancerState;
  stats: ServiceStats;
  /** The route built from `spec`, reused while the spec object is the same (an unchanged service). */
  spec?: ServiceSpec;
  route?: Route;
}

export class RouteRegistry {
  #table: LiveTable;
  readonly #upstreams = new Map<string, Upstream>();
  readonly #draining = new Set<Upstream>();
  readonly #services = new Map<string, ServiceState>();
  readonly #l4State = new Map<number, BalancerState>();

  constructor(zone: string, private readonly poolOptions: PoolOptions) {
    this.#table = { spec: emptySpec(zone), byHost: ShardedMap.of(), byPort: new Map() };
  }

  get table(): LiveTable {
    return this.#table;
  }

  /** Applies a new spec: creates upstreams for new instances, swaps the table, drains removed ones. */
  apply(spec: RouteSpec): SpecDiff {
    const diff = diffSpecs(this.#table.spec, spec);
    for (const inst of diff.added) this.#upstreams.set(inst.key, new Upstream(inst, this.poolOptions));
    const removed: Upstream[] = [];
    for (const key of diff.removed) {
      const u = this.#upstreams.get(key);
      if (!u) continue;
      this.#upstreams.delete(key);
      removed.push(u);
    }

    // Only services whose spec object changed get a new route. A spec made from the current one by
    // known changes (spec-update.ts) names them: only those are visited, and the new host map shares
    // the rest with the current one; otherwise every service is, and unchanged ones keep their route
    // object.
    const prev = this.#table;
    const known = spec.changed !== undefined && spec.changedFrom === prev.spec.version;
    // Gone services' hosts are dropped before the routes are set, so a host another service (another
    // case of the name) takes in the same update ends up with that service's route.
    const gone: [string, undefined][] = [];
    const routes: [string, Route][] = [];
    const visit = known ? [...spec.changed!].map((name) => spec.services.get(name) ?? name) : spec.services.values();
    for (const svc of visit) {
      if (typeof svc === 'string') {
        // Gone: its state goes, and its host unless another service (another case of the name) has it.
        const host = prev.spec.services.get(svc)?.host;
        if (host !== undefined && prev.byHost.get(host)?.service === svc) gone.push([host, undefined]);
        this.#services.delete(svc);
        continue;
      }
      routes.push([svc.host, this.#route(svc)]);
    }
    const byHost = known ? prev.byHost.with([...gone, ...routes]) : ShardedMap.of(routes);
    if (!known && this.#services.size > spec.services.size) for (const name of [...this.#services.keys()]) if (!spec.services.has(name)) this.#services.delete(name);

    const byPort = new Map<number, Route>();
    for (const l4 of spec.l4.values()) {
      let state = this.#l4State.get(l4.port);
      if (!state) this.#l4State.set(l4.port, (state = { cursor: 0 }));
      const upstreams = Object.freeze(l4.healthy.map((i) => this.#upstreams.get(i.key)!));
      const svc = this.#services.get(l4.service)!;
      byPort.set(l4.port, Object.freeze({ service: l4.service, upstreams, state, stats: svc.stats, accessLog: svc.spec?.accessLog }));
    }
    for (const port of diff.closed) this.#l4State.delete(port);

    this.#table = Object.freeze({ spec, byHost, byPort });
    for (const u of removed) {
      this.#draining.add(u);
      void u.drain().finally(() => this.#draining.delete(u));
    }
    return diff;
  }

  /** The route of `svc`: the one built before while its spec object is the same. */
  #route(svc: ServiceSpec): Route {
    let st = this.#services.get(svc.service);
    if (!st) this.#services.set(svc.service, (st = { state: { cursor: 0 }, stats: new ServiceStats() }));
    if (st.spec !== svc || st.route === undefined) {
      const upstreams = Object.freeze(svc.healthy.map((i) => this.#upstreams.get(i.key)!));
      st.route = Object.freeze({ service: svc.service, upstreams, state: st.state, stats: st.stats, accessLog: svc.accessLog });
      st.spec = svc;
    }
    return st.route;
  }

  /** Live instances (any health) plus those still draining. */
  upstreams(): { live: Upstream[]; draining: Upstream[] } {
    return { live: [...this.#upstreams.values()], draining: [...this.#draining] };
  }

  serviceStats(): ReadonlyMap<string, ServiceStats> {
    return new Map([...this.#services].map(([k, v]) => [k, v.stats]));
  }

  /** Shutdown: destroys every pool, in-flight or not. */
  async close(): Promise<void> {
    const all = [...this.#upstreams.values(), ...this.#draining];
    this.#upstreams.clear();
    this.#draining.clear();
    await Promise.all(all.map((u) => u.destroy()));
  }
}
