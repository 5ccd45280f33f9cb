import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Catalog, HostStatus } from '../../catalog/types.js';
import { watch } from '../../catalog/watch.js';
import { DEFAULT_GRACE_MS, reconcile } from '../reconcile/index.js';
import { keys } from '../types.js';
import { commitPlan } from './commit.js';
import { Election } from './leader.js';
import { ParseCache, readSnapshot } from './snapshot.js';

export interface SchedulerOptions {
  catalog: Catalog;
  logger: Logger;
  /** How long a host may be down before its replicas are moved (default 10 s). */
  graceMs?: number;
  /** Base seed of the placement shuffles (default random); pass n uses seed + n. */
  seed?: number;
  /** Name of this scheduler in the leader lock (default a UUID). */
  id?: string;
  /** Periodic re-evaluation, for time-based decisions (grace periods, minHealthy). Default 1 s. */
  intervalMs?: number;
  /** TTL of the leader session (default 10 s, Consul's minimum). */
  sessionTtlMs?: number;
  /** How often a standby tries to take over (default 500 ms). */
  retryMs?: number;
}

export interface SchedulerMetrics {
  leader: boolean;
  leaderChanges: number;
  passes: number;
  placed: number;
  stopped: number;
  removed: number;
  conflicts: number;
  /** Replicas that could not be placed in the last pass. */
  unplaced: number;
  errors: number;
  lastPassMs: number;
}

export interface Scheduler {
  stop(): Promise<void>;
  isLeader(): boolean;
  metrics(): SchedulerMetrics;
  /** Runs a pass now (after the one in progress, if any); resolves when it is committed. No-op on a standby. */
  evaluateNow(): Promise<void>;
}

/**
 * The scheduler service: elected through the catalog; while leading it watches hosts, jobs,
 * allocations and agent statuses and runs a reconcile pass on every change and every `intervalMs`.
 * Passes never overlap and coalesce: changes arriving during a pass cause exactly one more.
 */
export function startScheduler(opts: SchedulerOptions): Scheduler {
  const { catalog } = opts;
  const logger = opts.logger.child({ scheduler: opts.id ?? 'scheduler' });
  const id = opts.id ?? randomUUID();
  const graceMs = opts.graceMs ?? DEFAULT_GRACE_MS;
  const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 31);
  const m: Omit<SchedulerMetrics, 'leader' | 'leaderChanges'> = { passes: 0, placed: 0, stopped: 0, removed: 0, conflicts: 0, unplaced: 0, errors: 0, lastPassMs: 0 };
  const downSince = new Map<string, number>();
  let term: { abort: AbortController; timer: NodeJS.Timeout } | undefined;
  let current: Promise<void> = Promise.resolve();
  let pending: Promise<void> | undefined;
  let stopped = false;
  let lastPassEnded = 0;
  const parsed = new ParseCache();

  const election = new Election({
    catalog,
    logger,
    id,
    ttlMs: opts.sessionTtlMs ?? 10_000,
    retryMs: opts.retryMs ?? 500,
    onElected: () => {
      // Grace periods restart with each term: a new leader never replaces on a predecessor's clock.
      downSince.clear();
      const abort = new AbortController();
      // The periodic pass (time-based decisions) leaves the catalog idle for at least twice as
      // long as the last pass took: at 100,000 allocations a pass reads tens of MiB, and passes
      // back to back would keep a core busy re-reading an unchanged cluster. Changes still
      // trigger a pass at once through the watches.
      const timer = setInterval(() => {
        if (performance.now() - lastPassEnded >= 2 * m.lastPassMs) void trigger();
      }, opts.intervalMs ?? 1_000);
      term = { abort, timer };
      const onError = (err: unknown) => logger.warn({ err }, 'scheduler: watch failed, retrying');
      const follow = <T>(read: Parameters<typeof watch<T>>[0]) => void watch(read, () => void trigger(), { signal: abort.signal, onError });
      follow((o) => catalog.listHosts(o));
      // Triggers only (every pass reads fresh): the prefix's index, never its 100,000 entries.
      for (const prefix of [keys.jobPrefix, keys.allocsPrefix, keys.allocStatusesPrefix]) {
        follow(async (o) => ({ index: await catalog.kvIndex(prefix, o), value: undefined }));
      }
      void trigger();
    },
    onDeposed: () => {
      term?.abort.abort();
      if (term) clearInterval(term.timer);
      term = undefined;
    },
  });
  election.start();

  function trigger(): Promise<void> {
    if (stopped || !election.isLeader()) return current;
    if (!pending) {
      const next: Promise<void> = current.then(() => {
        pending = undefined;
        return pass();
      });
      pending = next;
      current = next;
    }
    return pending;
  }

  async function pass(): Promise<void> {
    if (stopped || !election.isLeader()) return;
    const started = performance.now();
    try {
      const snap = await readSnapshot(catalog, parsed);
      if (snap.unreadable.length) logger.warn({ keys: snap.unreadable }, 'scheduler: ignoring unreadable entries');
      const now = Date.now();
      trackDownHosts(snap.hosts, now);
      const plan = reconcile({
        now,
        hosts: snap.hosts,
        jobs: snap.jobs,
        allocations: snap.allocations,
        statuses: snap.statuses,
        hostDownSince: downSince,
        graceMs,
        seed: seed + m.passes,
        previous: snap.evaluations,
        claims: snap.claims,
        volumeHomes: snap.volumeHomes,
        versions: snap.versions,
      });
      m.passes++;
      // The fence: a deposed leader that has not noticed yet must not write.
      const fence = election.fence();
      if (!fence || !(await election.holdsLock())) return;
      const r = await commitPlan(catalog, plan, snap, now, fence);
      // The lock went while committing: the txns after that wrote nothing; step down now.
      if (r.deposed) await election.holdsLock();
      m.placed += r.placed;
      m.stopped += r.stopped;
      m.removed += r.removed;
      m.conflicts += r.conflicts;
      m.unplaced = plan.evaluations.reduce((n, ev) => n + ev.failures.reduce((k, f) => k + f.unplaced, 0), 0);
      if (r.placed + r.stopped + r.removed > 0 || r.conflicts > 0) logger.info({ ...r }, 'scheduler: plan committed');
      // Lost a race: evaluate again from fresh state rather than wait for the next tick.
      if (r.conflicts > 0) setTimeout(() => void trigger(), 50).unref();
    } catch (err) {
      m.errors++;
      logger.warn({ err }, 'scheduler: pass failed');
    } finally {
      lastPassEnded = performance.now();
      m.lastPassMs = lastPassEnded - started;
    }
  }

  function trackDownHosts(hosts: HostStatus[], now: number): void {
    const names = new Set(hosts.map((h) => h.name));
    for (const name of downSince.keys()) if (!names.has(name)) downSince.delete(name);
    for (const h of hosts) {
      if (h.alive) downSince.delete(h.name);
      else if (!downSince.has(h.name)) downSince.set(h.name, now);
    }
  }

  return {
    async stop() {
      stopped = true;
      await election.stop();
      await current;
    },
    isLeader: () => election.isLeader(),
    metrics: () => ({ ...m, leader: election.isLeader(), leaderChanges: election.changes }),
    evaluateNow: () => trigger(),
  };
}
