/**
 * The registrar loop: subscribe to Docker events first, then list, then reconcile the catalog to
 * exactly what runs here; after that, re-derive each container an event names, and reconcile fully
 * on every reconnect and every `resyncMs`. Nothing ends it but `stop()`: a dropped event stream is
 * reconnected with back-off, a failed catalog write schedules a full reconcile with back-off.
 */
import type { Catalog, ServiceInstance } from '../catalog/types.js';
import type { ContainerEvent, ContainerInfo, DockerPort } from '../docker/types.js';
import { silentLogger, type Logger } from '../log/index.js';
import { followEvents } from './events.js';
import { vouchedInstances, type Voucher } from './fence.js';
import type { MappingContext } from './mapping.js';
import type { HealthReport } from './reported-health.js';
import { CatalogWriter, nameClashes } from './writer.js';

export interface RegistrarOptions {
  docker: DockerPort;
  catalog: Catalog;
  host: string;
  advertise: string;
  internal?: boolean;
  /** Anti-entropy period (default 30 s). */
  resyncMs?: number;
  /** Only containers carrying all these labels (`key` or `key=value`); default every container. */
  labels?: string[];
  logger?: Logger;
  /** Back-off for reconnects and retries: doubles from min up to max (default 100 ms .. 5 s). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /**
   * The host agent's word on containers it started for allocations (fence.ts): withholds stale
   * replicas after a partition. Absent (a registrar-only process): every container is served.
   */
  vouch?: Voucher;
  /**
   * The host agent's health check verdicts (reported-health.ts): folded into the health of the
   * containers it started. Absent (a registrar-only process): Docker's view alone.
   */
  health?: HealthReport;
}

export interface RegistrarMetrics {
  eventsSeen: number;
  registrations: number;
  deregistrations: number;
  healthUpdates: number;
  syncRuns: number;
  errors: number;
  /** Epoch ms of the last successful full reconcile; 0 before the first. */
  lastSyncAt: number;
  /** Instances this host owns in the catalog, as far as the registrar knows. */
  instances: number;
  connected: boolean;
}

export interface Registrar {
  /** Ends the loops and waits for in-flight work; leaves the catalog as it is. */
  stop(): Promise<void>;
  /** Resolves after the first complete reconcile; rejects if stopped before. */
  synced(): Promise<void>;
  /** Asks for a full reconcile now (the agent's vouching changed). */
  resync(): void;
  /** Re-derives one container's instances now (the agent's verdict on it changed). */
  refresh(containerId: string): void;
  metrics(): RegistrarMetrics;
}

/** Events after which a container's instances may differ; exec_* (health probes) and the like do not. */
/** Containers re-derived at once (each an inspect and a catalog write). */
const MAX_PARALLEL = 16;

const RELEVANT = /^(start|restart|die|stop|kill|destroy|pause|unpause|rename|health_status)/;

export function startRegistrar(opts: RegistrarOptions): Registrar {
  const log = opts.logger ?? silentLogger;
  const ctx: MappingContext = { host: opts.host, advertise: opts.advertise, internal: opts.internal ?? false };
  const selector = (opts.labels ?? []).map((l) => l.split(/=(.*)/s, 2) as [string, string?]);
  const minBackoff = opts.minBackoffMs ?? 100;
  const maxBackoff = opts.maxBackoffMs ?? 5_000;
  const backoff = (n: number) => Math.min(maxBackoff, minBackoff * 2 ** Math.min(n - 1, 16));
  const writer = new CatalogWriter(opts.catalog, log);
  const abort = new AbortController();
  const { signal } = abort;
  const m = { eventsSeen: 0, syncRuns: 0, errors: 0, lastSyncAt: 0, connected: false };

  // Work queue: a full reconcile and/or containers to re-derive, done by one worker so a reconcile
  // never interleaves with a per-container update.
  let fullWanted = false;
  const dirty = new Set<string>();
  let wake: (() => void) | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let failures = 0;
  const warned = new Set<string>();
  let others: ServiceInstance[] = [];

  let markSynced!: () => void;
  let failSynced!: (err: Error) => void;
  const firstSync = new Promise<void>((resolve, reject) => ((markSynced = resolve), (failSynced = reject)));
  firstSync.catch(() => undefined);

  const kick = () => {
    wake?.();
    wake = undefined;
  };
  const requestFull = () => {
    fullWanted = true;
    kick();
  };
  const matches = (labels: Record<string, string>) =>
    selector.every(([k, v]) => (v === undefined ? k in labels : labels[k] === v));

  function failed(what: string, err: unknown) {
    if (signal.aborted) return;
    m.errors++;
    failures++;
    const delay = backoff(failures);
    log.warn({ err, retryInMs: delay }, `${what} failed`);
    // While the event stream is down its reconnect brings a reconcile; otherwise retry on a timer.
    if (m.connected && !retryTimer) {
      retryTimer = setTimeout(() => ((retryTimer = undefined), requestFull()), delay);
    }
  }

  function warnClashes() {
    const clashes = nameClashes([...others, ...writer.owned()]);
    for (const [key, list] of clashes) {
      if (warned.has(key) || !list.some((i) => i.host === ctx.host)) continue;
      warned.add(key);
      log.warn({ service: list[0]!.service, name: list[0]!.name, ids: list.map((i) => i.id) }, 'instance name claimed by several containers');
    }
    for (const key of warned) if (!clashes.has(key)) warned.delete(key);
  }

  async function reconcile() {
    const containers = await opts.docker.listContainers({ labels: opts.labels });
    const all = (await opts.catalog.listInstances()).value;
    others = all.filter((i) => i.host !== ctx.host);
    const mine = all.filter((i) => i.host === ctx.host);
    const desired = vouchedInstances(containers.filter((c) => matches(c.labels)), ctx, mine, opts.vouch, opts.health);
    const d = await writer.reconcile(desired, mine);
    m.syncRuns++;
    m.lastSyncAt = Date.now();
    failures = 0;
    log.debug({ register: d.register.length, deregister: d.deregister.length, health: d.health.length }, 'reconciled');
    warnClashes();
    markSynced();
  }

  async function rederive(id: string) {
    const c: ContainerInfo | undefined = await opts.docker.inspect(id);
    const desired = c && matches(c.labels) ? vouchedInstances([c], ctx, writer.owned(), opts.vouch, opts.health) : [];
    await writer.update(`${ctx.host}:${id}:`, desired);
    if (desired.length) warnClashes();
  }

  /**
   * Containers are re-derived independently, up to MAX_PARALLEL at once, each as soon as it is
   * dirty: a slow inspect (a container being killed can take seconds to answer) must not hold back
   * the events of every other container, as waiting for a whole batch did. One container is never
   * re-derived twice at once (it stays dirty and runs again after), and a full reconcile waits for
   * the running updates and starts none meanwhile, so the two never interleave.
   */
  const inFlight = new Map<string, Promise<void>>();
  async function work() {
    while (!signal.aborted) {
      if (fullWanted) {
        if (inFlight.size) {
          await Promise.race(inFlight.values());
          continue;
        }
        fullWanted = false;
        // Cleared before listing: an event arriving from here on re-adds its container.
        dirty.clear();
        await reconcile().catch((err) => failed('reconcile', err));
        continue;
      }
      for (const id of dirty) {
        if (inFlight.size >= MAX_PARALLEL) break;
        if (inFlight.has(id)) continue;
        dirty.delete(id);
        const run = rederive(id)
          .catch((err) => failed(`update of ${id.slice(0, 12)}`, err))
          .finally(() => {
            inFlight.delete(id);
            kick();
          });
        inFlight.set(id, run);
      }
      // Woken by an event, a finished update, a reconcile request or the stop.
      await new Promise<void>((resolve) => (wake = resolve));
    }
    await Promise.all(inFlight.values());
  }

  function onEvent(ev: ContainerEvent) {
    m.eventsSeen++;
    if (!RELEVANT.test(ev.action) || !matches(ev.attributes)) return;
    log.debug({ action: ev.action, id: ev.id.slice(0, 12) }, 'event');
    dirty.add(ev.id);
    kick();
  }

  const ticker = setInterval(() => m.connected && requestFull(), opts.resyncMs ?? 30_000);
  ticker.unref();
  signal.addEventListener('abort', kick, { once: true });
  const follow = followEvents(opts.docker, {
    signal,
    log,
    backoff,
    onOpen: () => ((m.connected = true), requestFull()),
    onEvent,
    onClose: (err) => {
      m.connected = false;
      if (err !== undefined) m.errors++;
    },
  });
  const done = Promise.all([work(), follow]);

  return {
    async stop() {
      if (signal.aborted) return done.then(() => undefined);
      abort.abort();
      clearInterval(ticker);
      clearTimeout(retryTimer);
      failSynced(new Error('registrar stopped before its first reconcile'));
      await done;
    },
    synced: () => firstSync,
    resync: () => m.connected && requestFull(),
    refresh: (id) => {
      if (signal.aborted) return;
      dirty.add(id);
      kick();
    },
    metrics: () => ({ ...m, ...writer.counters, instances: writer.owned().length }),
  };
}
