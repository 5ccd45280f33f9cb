/**
 * The host agent: registers the host, follows its allocations in the catalog and the container events
 * of its Docker daemon, and after every change runs one reconcile pass (list → plan → act → report).
 * Passes are serialised and coalesced: any number of triggers during a pass cause exactly one more.
 * Outages of either side never end the agent: it backs off, keeps the last known allocations (so
 * containers keep running while the catalog is away) and reconciles again once reads succeed.
 */
import { isIP } from 'node:net';
import type { Catalog, Capacity, Health, KVEntry } from '../catalog/types.js';
import { sleep, watch } from '../catalog/watch.js';
import type { ContainerInfo, DockerPort } from '../docker/types.js';
import type { Logger } from '../log/index.js';
import type { Vouch } from '../registrar/fence.js';
import { keys, type Allocation, type AllocStatus } from '../state/index.js';
import { checkSpecOf, checkTargets } from './checks/policy.js';
import { probe as realProbe, type Prober } from './checks/probe.js';
import { CheckRunner } from './checks/runner.js';
import { JobSpecs, parseAllocations, parseJobRecords } from './desired.js';
import { execute } from './executor.js';
import { heartbeat } from './heartbeat.js';
import { AGENT_LABELS } from './labels.js';
import { followEvents } from './events.js';
import { plan } from './plan.js';
import { proxiedServices, type PodContext } from './pod.js';
import type { ContainerPolicy } from './policy.js';
import { StatusStore } from './status-store.js';
import { TAIL_BYTES, TAIL_LINES, type StartFailure } from './why.js';

export interface AgentOptions {
  catalog: Catalog;
  docker: DockerPort;
  /** This host's name: the KV prefix it watches and the `maestro.host` label of its containers. */
  host: string;
  /** Address registered for the host (published ports are reached there). */
  advertise: string;
  meta?: Record<string, string>;
  /** Overrides the capacity Docker reports (cpu millicores, memory MiB). */
  capacity?: Partial<Capacity>;
  /** The host's proxy address as containers reach it (e.g. docker0's 172.17.0.1). */
  proxyHost: string;
  logger: Logger;
  /** Liveness session TTL: the host counts as down this long after the agent stops renewing. Default 10 s. */
  heartbeatMs?: number;
  /** Full resync interval (besides catalog watches and Docker events). Default 10 s. */
  reconcileMs?: number;
  /** Grace between SIGTERM and SIGKILL when stopping containers. Default 10 s. */
  stopTimeoutSec?: number;
  /** Resolvers given to pods (the cluster DNS server), when set. */
  dns?: string[];
  /** What jobs may do to this host (privileged, added capabilities, host paths); default: none of it. */
  containerPolicy?: ContainerPolicy;
  /** DNS search domains given to pods with `dns` (`service.<zone>`). */
  dnsSearch?: string[];
  /** Called when the agent starts vouching for its containers again (see `vouch`): resync the registrar. */
  onVouching?: () => void;
  /**
   * Called when a health check's verdict changes for a container: the registrar re-derives its
   * instances, whose health it takes from `health` (the registrar stays the one writer of instances).
   */
  onHealthChange?: (containerId: string) => void;
  /** The HTTP/TCP probe (tests replace it); default: real connections from this host. */
  probe?: Prober;
}

export interface AgentMetrics {
  reconciles: number;
  reconcileErrors: number;
  containersStarted: number;
  containersRemoved: number;
  startFailures: number;
  statusWrites: number;
  registrations: number;
  heartbeatErrors: number;
  catalogErrors: number;
  dockerEventErrors: number;
  allocations: number;
  lastReconcileAt?: number;
}

export interface Agent {
  /** Stops watching and heartbeating (containers keep running) and ends the host's session. */
  stop(): Promise<void>;
  /**
   * Whether a container may be served (the registrar's fence, src/registrar/fence.ts): `yes` for
   * containers of allocations this host runs, `no` for moved or stopped ones, `unsure` until the
   * agent has read its allocations and reconciled once, and from any failed heartbeat until the
   * session is confirmed alive or the host is registered again after fencing.
   */
  vouch(labels: Readonly<Record<string, string>>): Vouch;
  /**
   * The agent's health check verdict for a container it started (by its labels): undefined when its
   * job has no http/tcp check (Docker's HEALTHCHECK, if any, is then all there is).
   */
  health(labels: Readonly<Record<string, string>>): Health | undefined;
  metrics(): AgentMetrics;
}

export function startAgent(opts: AgentOptions): Agent {
  const { catalog, docker, host, logger } = opts;
  const ac = new AbortController();
  const signal = ac.signal;
  const specs = new JobSpecs(catalog);
  const startFailures = new Map<string, StartFailure>();
  const m: AgentMetrics = {
    reconciles: 0, reconcileErrors: 0, containersStarted: 0, containersRemoved: 0, startFailures: 0,
    statusWrites: 0, registrations: 0, heartbeatErrors: 0, catalogErrors: 0, dockerEventErrors: 0, allocations: 0,
  };
  let allocs: Allocation[] | undefined;
  let allocsText = '';
  // Vouching (see Agent.vouch): both must hold. `reconciled` — a pass over read allocations has
  // completed; `sessionSure` — the heartbeat has no doubt that this host was never declared down.
  let reconciled = false;
  let sessionSure = false;
  const vouching = () => reconciled && sessionSure;
  const setVouching = (update: () => void) => {
    const before = vouching();
    update();
    if (!before && vouching()) opts.onVouching?.();
  };
  let jobsText = '';
  const store = new StatusStore(catalog, host, () => m.statusWrites++);
  const checks = new CheckRunner({
    probe: opts.probe ?? realProbe,
    onChange: (target) => {
      trigger();
      opts.onHealthChange?.(target.containerId);
    },
  });

  /**
   * Allocations whose containers this agent is starting and whose job has an http/tcp check, until
   * the next pass gives them a probe loop: they are `warning` (not served) from the moment Docker
   * reports them started, not served unchecked until then — Consul's checks start critical, and a
   * Kubernetes pod is unready until its readiness probe passes.
   */
  const starting = new Set<string>();
  let dirty = false;
  let loop: Promise<void> | undefined;
  const trigger = () => {
    dirty = true;
    loop ??= runLoop().finally(() => (loop = undefined));
  };

  async function runLoop(): Promise<void> {
    let failures = 0;
    while (dirty && !signal.aborted) {
      dirty = false;
      try {
        await pass();
        failures = 0;
        if (allocs) setVouching(() => (reconciled = true));
      } catch (err) {
        failures++;
        m.reconcileErrors++;
        logger.warn({ err, attempt: failures }, 'reconcile failed; retrying');
        await sleep(Math.min(5_000, 100 * 2 ** Math.min(failures - 1, 10)), signal);
        dirty = true;
      }
    }
  }

  async function pass(): Promise<void> {
    // Before the first successful read nothing is known: acting would remove every container.
    if (!allocs) return;
    const current = allocs;
    m.reconciles++;
    m.lastReconcileAt = Date.now();
    const containers = await docker.listContainers({ all: true, labels: [`${AGENT_LABELS.host}=${host}`, AGENT_LABELS.alloc] });
    const desired = await specs.resolve(current);
    const previous = await store.previous();
    const ids = new Set(current.map((a) => a.id));
    for (const id of startFailures.keys()) if (!ids.has(id)) startFailures.delete(id);

    checks.set(
      checkTargets(desired.filter((d) => d.alloc.desired === 'run').map((d) => ({ allocId: d.alloc.id, job: d.job })), containers),
      (id) => {
        const prev = previous.get(id);
        return prev && { containerId: prev.containerIds[0], check: prev.check };
      },
    );
    starting.clear();
    const tails = await deadTails(containers, previous);
    const p = plan({ allocs: desired, containers, startFailures, previous, checks: checks.results(), tails, now: Date.now() });
    // A catalog outage must not hold Docker back (nor the reverse): report, act, then raise errors.
    const reported = await store.write(p.statuses, ids).then(
      () => undefined,
      (err: unknown) => (m.catalogErrors++, err),
    );
    if (p.actions.length === 0) {
      if (reported) throw reported;
      return;
    }
    for (const a of p.actions) if (a.kind === 'start' && checkSpecOf(a.job.health)) starting.add(a.alloc.id);
    const res = await execute(p.actions, { docker, podContext, stopTimeoutSec: opts.stopTimeoutSec ?? 10, logger });
    m.containersStarted += res.started;
    m.containersRemoved += res.removed;
    m.startFailures += res.startFailures.size;
    for (const [id, failure] of res.startFailures) startFailures.set(id, failure);
    if (res.transient.length) throw res.transient[0];
    if (reported) throw reported;
    dirty = true; // list again to report what the actions achieved
  }

  /**
   * The last lines of output of containers that died since the last report (their allocation not yet
   * reported failed): the evidence their failure is reported with. Read once; a failed read is ''.
   */
  async function deadTails(containers: ContainerInfo[], previous: ReadonlyMap<string, AllocStatus>): Promise<Map<string, string>> {
    const dead = containers.filter((c) => {
      const alloc = c.labels[AGENT_LABELS.alloc];
      return !c.running && !!c.startedAt && !c.startedAt.startsWith('0001-') && alloc !== undefined && previous.get(alloc)?.state !== 'failed';
    });
    const tails = await Promise.all(dead.map((c) => docker.logTail(c.id, TAIL_LINES, TAIL_BYTES).catch(() => '')));
    return new Map(dead.map((c, i) => [c.id, tails[i]!]));
  }

  async function podContext(): Promise<PodContext> {
    let instances: Awaited<ReturnType<Catalog['listInstances']>>['value'] = [];
    try {
      instances = (await catalog.listInstances()).value;
    } catch (err) {
      m.catalogErrors++;
      logger.warn({ err }, 'cannot list instances; service environment from job specs only');
    }
    const publishIp = isIP(opts.advertise) ? opts.advertise : undefined;
    return { host, proxyHost: opts.proxyHost, proxied: proxiedServices(specs.currentJobs(), instances), dns: opts.dns, dnsSearch: opts.dnsSearch, publishIp, ...(opts.containerPolicy ? { policy: opts.containerPolicy } : {}) };
  }

  const onWatchError = (what: string) => (err: unknown, attempt: number) => {
    m.catalogErrors++;
    logger.warn({ err, attempt }, `${what} watch failed; keeping last known state`);
  };

  function onAllocations(entries: KVEntry[]): void {
    const { allocs: parsed, invalid } = parseAllocations(entries, host);
    if (invalid.length) logger.warn({ keys: invalid }, 'ignoring malformed allocations');
    const text = JSON.stringify(parsed);
    if (allocs && text === allocsText) return; // our own status writes wake this watch too
    allocs = parsed;
    allocsText = text;
    m.allocations = parsed.length;
    trigger();
  }

  /**
   * Fencing after a partition: the host was down long enough for its session to expire, so its
   * allocations may have moved. The blocking watch may still hang on a connection opened before
   * the partition; read them afresh now and reconcile, so replicas placed elsewhere meanwhile are
   * stopped here at once instead of being served twice.
   */
  async function rereadAllocations(): Promise<void> {
    try {
      onAllocations((await catalog.kvList(keys.allocPrefix(host), { signal })).value);
    } catch (err) {
      if (!signal.aborted) onWatchError('allocation')(err, 1);
      throw err;
    }
  }

  /** Before registering again after a lapse: fresh allocations, and one pass that acts on them. */
  async function fence(): Promise<void> {
    await rereadAllocations();
    dirty = true;
    trigger();
    while (loop) await loop;
  }

  // Subscribe to Docker events first, then read the catalog and list (registrator's order).
  const tasks: Promise<unknown>[] = [followEvents(docker, host, signal, trigger, () => m.dockerEventErrors++, logger)];
  tasks.push(
    watch(
      (o) => catalog.kvList(keys.allocPrefix(host), o),
      onAllocations,
      { signal, onError: onWatchError('allocation') },
    ),
    watch(
      (o) => catalog.kvList(keys.jobPrefix, o),
      (entries) => {
        const text = JSON.stringify(entries.map((e) => e.value));
        if (text === jobsText) return;
        jobsText = text;
        specs.setRecords(parseJobRecords(entries));
        trigger();
      },
      { signal, onError: onWatchError('job') },
    ),
  );
  const beat = heartbeat({
    catalog, docker, host, signal, logger,
    advertise: opts.advertise,
    meta: opts.meta ?? {},
    capacity: opts.capacity,
    ttlMs: opts.heartbeatMs ?? 10_000,
    onRegistered: () => {
      m.registrations++;
      setVouching(() => (sessionSure = true));
    },
    onAlive: () => setVouching(() => (sessionSure = true)),
    onDoubt: () => (sessionSure = false),
    fence,
    onError: () => m.heartbeatErrors++,
  });
  const timer = setInterval(trigger, opts.reconcileMs ?? 10_000);
  timer.unref();

  return {
    async stop() {
      if (signal.aborted) return;
      ac.abort();
      clearInterval(timer);
      checks.stop();
      await Promise.allSettled([...tasks, loop]);
      const session = await beat;
      if (session) await catalog.destroySession(session).catch(() => undefined);
    },
    metrics: () => ({ ...m }),
    health(labels) {
      const allocId = labels[AGENT_LABELS.alloc];
      if (!allocId || labels[AGENT_LABELS.host] !== host) return undefined;
      return checks.result(allocId)?.status ?? (starting.has(allocId) ? 'warning' : undefined);
    },
    vouch(labels) {
      const allocId = labels[AGENT_LABELS.alloc];
      // Not started by this agent for an allocation: the registrar's usual rules apply.
      if (!allocId || labels[AGENT_LABELS.host] !== host) return 'yes';
      if (!vouching() || !allocs) return 'unsure';
      return allocs.some((a) => a.id === allocId && a.desired === 'run') ? 'yes' : 'no';
    },
  };
}
