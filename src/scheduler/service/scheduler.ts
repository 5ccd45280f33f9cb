import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Catalog } from '../../catalog/types.js';
import type { StateView } from '../../view/types.js';
import { DEFAULT_GRACE_MS } from '../reconcile/index.js';
import type { PassEngine } from './engine.js';
import { Election } from './leader.js';
import { TimeSlice } from './slice.js';
import { SnapshotPasses } from './snapshot-passes.js';
import type { PassTiming } from './timeline.js';
import { ViewPasses } from './view-passes.js';

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
  /**
   * The process's state view: passes read from it and evaluate only the jobs whose inputs changed.
   * Without it every pass reads the whole catalog and evaluates every job.
   */
  view?: StateView;
  /** With a view: how often a full pass re-evaluates everything anyway, a safety net (default 60 s). */
  fullPassMs?: number;
  /** Told after each committed pass which jobs it evaluated (instrumentation: tests, benchmarks). */
  onPass?: (pass: PassReport) => void;
}

/** What `onPass` is told of each committed pass. */
export interface PassReport {
  jobs: readonly string[];
  full: boolean;
  /** The pass's wall time, commit included. */
  ms: number;
  placed: number;
  /** Since the previous pass ended: time no pass ran (nothing to do, or waiting for a trigger). */
  idleMs: number;
  timing?: PassTiming;
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
  /** How long the last pass that evaluated anything took, commit included (ms). */
  lastPassMs: number;
  /** Jobs evaluated, in total (a full pass counts every job). */
  evaluated: number;
  /** Jobs the last pass evaluated. */
  lastPassJobs: number;
  fullPasses: number;
  /** The longest the scheduler held the event loop between two yields (ms). */
  longestStepMs: number;
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
/**
 * The scheduler service: elected through the catalog; while leading it follows changes (the state
 * view's notifications, or the catalog's watches without a view) and runs a pass on each, plus the
 * periodic tick for time-based decisions. Passes never overlap and coalesce: changes arriving
 * during a pass cause exactly one more. Every pass is sliced (slice.ts) so that it never holds the
 * event loop for more than a few milliseconds at a time.
 */
export function startScheduler(opts: SchedulerOptions): Scheduler {
  const { catalog } = opts;
  const logger = opts.logger.child({ scheduler: opts.id ?? 'scheduler' });
  const id = opts.id ?? randomUUID();
  const graceMs = opts.graceMs ?? DEFAULT_GRACE_MS;
  const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 31);
  const m: Omit<SchedulerMetrics, 'leader' | 'leaderChanges' | 'longestStepMs'> = {
    passes: 0, placed: 0, stopped: 0, removed: 0, conflicts: 0, unplaced: 0, errors: 0, lastPassMs: 0, evaluated: 0, lastPassJobs: 0, fullPasses: 0,
  };
  const slice = new TimeSlice();
  const engine: PassEngine = opts.view
    ? new ViewPasses({ view: opts.view, catalog, logger, graceMs, fullPassMs: opts.fullPassMs ?? 60_000, slice })
    : new SnapshotPasses({ catalog, logger, graceMs, slice });
  let term: { abort: AbortController; timer: NodeJS.Timeout } | undefined;
  let current: Promise<void> = Promise.resolve();
  let pending: Promise<void> | undefined;
  let stopped = false;
  let lastPassEnded = performance.now();

  const election = new Election({
    catalog,
    logger,
    id,
    ttlMs: opts.sessionTtlMs ?? 10_000,
    retryMs: opts.retryMs ?? 500,
    onElected: () => {
      const abort = new AbortController();
      const timer = setInterval(() => {
        if (engine.tick(Date.now())) void trigger();
      }, opts.intervalMs ?? 1_000);
      term = { abort, timer };
      engine.begin(abort.signal, () => void trigger());
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
    const idleMs = started - lastPassEnded;
    // Counted as etcd acknowledges each unit, not when the pass ends: a long commit shows progress.
    const landed = (kind: 'placed' | 'stopped' | 'removed' | 'evaluation') => {
      if (kind !== 'evaluation') m[kind]++;
    };
    try {
      const out = await engine.pass({ seed: seed + m.passes, fence: () => election.fence(), holdsLock: () => election.holdsLock(), landed });
      if (!out) return;
      lastPassEnded = performance.now();
      m.lastPassMs = performance.now() - started;
      m.passes++;
      m.evaluated += out.jobs.length;
      m.lastPassJobs = out.jobs.length;
      opts.onPass?.({ jobs: out.jobs, full: out.full, ms: m.lastPassMs, placed: out.result.placed, idleMs, ...(out.timing ? { timing: out.timing } : {}) });
      if (out.full) m.fullPasses++;
      const r = out.result;
      // The lock went while committing: the txns after that wrote nothing; step down now.
      if (r.deposed) await election.holdsLock();
      m.conflicts += r.conflicts;
      m.unplaced = out.unplaced;
      if (r.placed + r.stopped + r.removed > 0 || r.conflicts > 0) {
        const { written: _w, conflictedJobs: _c, ...counts } = r;
        logger.info({ ...counts, jobs: out.jobs.length }, 'scheduler: plan committed');
      }
      // Lost a race: evaluate those jobs again from fresh state rather than wait for the next tick.
      if (r.conflicts > 0) {
        engine.retry(r.conflictedJobs);
        setTimeout(() => void trigger(), 50).unref();
      }
    } catch (err) {
      m.errors++;
      logger.warn({ err }, 'scheduler: pass failed');
    }
  }

  return {
    async stop() {
      stopped = true;
      await election.stop();
      await current;
    },
    isLeader: () => election.isLeader(),
    metrics: () => ({ ...m, leader: election.isLeader(), leaderChanges: election.changes, longestStepMs: slice.longestMs }),
    evaluateNow: () => trigger(),
  };
}
