/**
 * Assembly of the proxy without its catalog source: route registry, L7 server and L4 listeners
 * around one table reference, fed by `update(instances)`.
 */
import type { ServiceInstance } from '../catalog/types.js';
import { DEFAULTS, parseHostPort, type HostPort } from '../config/index.js';
import { componentLogger, silentLogger, type Logger } from '../log/index.js';
import { AccessLog, type AccessLogMode } from './access-log.js';
import { DEFAULT_EJECTION, type EjectionOptions } from './ejection.js';
import type { EngineContext } from './http1/exchange.js';
import { L4Listeners } from './l4.js';
import { Sweeper } from './sweep.js';
import { createL7Server, HEAD_TIMEOUT_MS } from './l7.js';
import { collectMetrics, type ProxyMetrics } from './metrics.js';
import { policyByName } from './policy.js';
import { buildRouteSpec, type RouteSpec } from './spec.js';
import { routeSpecSteps } from './spec-update.js';
import { RouteRegistry } from './table.js';

export interface ProxyOptions {
  /** DNS zone of the route hosts (`<svc>.service.<zone>`); default `cluster`. */
  zone?: string;
  /** L7 listen address (`host:port`, port 0 = pick one); default DEFAULTS.httpAddr. */
  httpAddr?: HostPort | string;
  /** Address the L4 listeners bind to; default DEFAULTS.proxyBind. */
  l4Bind?: string;
  logger?: Logger;
  /** Balancing policy name (see POLICIES); default `least-in-flight`. */
  policy?: string;
  /** Most instances one request or connection is tried on; default 3. */
  attempts?: number;
  connectTimeoutMs?: number;
  headersTimeoutMs?: number;
  /** Longest silence while a response body streams. */
  idleTimeoutMs?: number;
  /** Idle keep-alive upstream connections are closed after this. */
  keepAliveMs?: number;
  connectionsPerInstance?: number;
  ejection?: Partial<EjectionOptions>;
  l4IdleTimeoutMs?: number;
  /** L4: bytes waiting for a side that takes none of them for this long close the pair; default 30 s. */
  l4StallTimeoutMs?: number;
  l4MaxConnections?: number;
  /** L7: from a request head's first byte to its end, else 408; default 10 s. */
  l7HeadTimeoutMs?: number;
  /** L7: client connections at once, further ones are closed when accepted; default 10,000. */
  l7MaxConnections?: number;
  /**
   * Which exchanges get an access line (`--access-log`): `errors` (default: 5xx, failed and
   * abnormally closed ones), `all` or `off`; a service's instances may ask for their own with the
   * meta `access-log` (container label `maestro.access-log`). Lines are batched, see access-log.ts.
   */
  accessLog?: AccessLogMode;
}

export interface Proxy {
  httpAddress(): HostPort;
  /** Ports with an open L4 listener. */
  l4Ports(): number[];
  metrics(): ProxyMetrics;
  /** Applies a catalog snapshot (what the catalog watch calls); resolves once L4 listeners follow. */
  update(instances: readonly ServiceInstance[]): Promise<void>;
  /**
   * Applies the services a change touched (name → all its instances now, empty: gone), giving the
   * loop back every `sliceMs` of work (default 4 ms); the routes swap once, whole. What the change
   * feed calls; one at a time.
   */
  applyChanges(changed: ReadonlyMap<string, readonly ServiceInstance[]>, sliceMs?: number): Promise<void>;
  /** Names of the services in the routes now. */
  services(): string[];
  stop(): Promise<void>;
}

/** A proxy fed by `update()` calls: for embedding and tests. `startProxy` adds the catalog watch. */
export async function createProxy(opts: ProxyOptions = {}): Promise<Proxy> {
  const zone = opts.zone ?? DEFAULTS.zone;
  const log = componentLogger(opts.logger ?? silentLogger, 'proxy');
  const connectTimeoutMs = opts.connectTimeoutMs ?? 2_000;
  const headersTimeoutMs = opts.headersTimeoutMs ?? 30_000;
  const idleTimeoutMs = opts.idleTimeoutMs ?? 60_000;
  const keepAliveMs = opts.keepAliveMs ?? 30_000;
  const l4IdleTimeoutMs = opts.l4IdleTimeoutMs ?? 300_000;
  const l4StallTimeoutMs = opts.l4StallTimeoutMs ?? 30_000;
  const l7HeadTimeoutMs = opts.l7HeadTimeoutMs ?? HEAD_TIMEOUT_MS;
  const sweeper = new Sweeper(Math.min(connectTimeoutMs, headersTimeoutMs, idleTimeoutMs, keepAliveMs, l4IdleTimeoutMs, l4StallTimeoutMs || Infinity, l7HeadTimeoutMs));
  const registry = new RouteRegistry(zone, {
    connections: opts.connectionsPerInstance ?? 256,
    connectTimeoutMs,
    headersTimeoutMs,
    idleTimeoutMs,
    keepAliveMs,
    sweeper,
  });
  const ctx: EngineContext = {
    policy: policyByName(opts.policy),
    ejection: { ...DEFAULT_EJECTION, ...opts.ejection },
    attempts: Math.max(1, opts.attempts ?? 3),
    log,
    accessLog: new AccessLog(log, opts.accessLog ?? 'errors'),
    tunnels: new Set(),
    sweeper,
    headersTimeoutMs,
    idleTimeoutMs,
  };
  const table = () => registry.table;
  let unrouted = 0;
  const server = createL7Server({ table, ctx, onUnrouted: () => unrouted++, headTimeoutMs: l7HeadTimeoutMs, maxConnections: opts.l7MaxConnections });
  const l4 = new L4Listeners({
    bind: opts.l4Bind ?? DEFAULTS.proxyBind,
    table,
    ctx,
    connectTimeoutMs,
    idleTimeoutMs: l4IdleTimeoutMs,
    stallTimeoutMs: l4StallTimeoutMs,
    sweeper,
    maxConnections: opts.l4MaxConnections ?? 10_000,
    log,
  });
  const addr = typeof opts.httpAddr === 'string' ? parseHostPort('httpAddr', opts.httpAddr) : (opts.httpAddr ?? parseHostPort('httpAddr', DEFAULTS.httpAddr));
  const bound = await server.listen(addr.host, addr.port);
  const httpAddress: HostPort = { host: bound.address, port: bound.port };
  log.info({ httpAddr: `${bound.address}:${bound.port}`, policy: opts.policy ?? 'least-in-flight' }, 'L7 proxy listening');

  let stopped = false;
  const applySpec = async (spec: RouteSpec) => {
    if (stopped) return;
    const previous = registry.table.spec;
    if (spec === previous) return;
    const diff = registry.apply(spec);
    // Said once when it appears, not at every one of a busy catalog's updates.
    if (spec.problems !== previous.problems) {
      const known = new Set(previous.problems);
      for (const p of spec.problems) if (!known.has(p)) log.warn({ problem: p }, 'route table problem');
    }
    if (diff.added.length || diff.removed.length || diff.opened.length || diff.closed.length) {
      log.debug({ added: diff.added.length, removed: diff.removed.length, opened: diff.opened, closed: diff.closed }, 'routes updated');
    }
    if (spec.l4 !== previous.l4) await l4.reconcile(new Set(spec.l4.keys()));
  };
  return {
    httpAddress: () => ({ ...httpAddress }),
    l4Ports: () => l4.ports(),
    metrics: () => collectMetrics(registry, unrouted),
    services: () => [...registry.table.spec.services.keys()],
    async update(instances) {
      if (stopped) return;
      await applySpec(buildRouteSpec(instances, zone, registry.table.spec));
    },
    async applyChanges(changed, sliceMs = 4) {
      if (stopped) return;
      const steps = routeSpecSteps(registry.table.spec, changed);
      let sliceStart = performance.now();
      for (;;) {
        const r = steps.next();
        if (r.done) return applySpec(r.value);
        if (performance.now() - sliceStart >= sliceMs) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          sliceStart = performance.now();
        }
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await l4.reconcile(new Set());
      await l4.close();
      for (const socket of ctx.tunnels) socket.destroy();
      await server.close();
      await registry.close();
      sweeper.close();
      ctx.accessLog.flush();
    },
  };
}
