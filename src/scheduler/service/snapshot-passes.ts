import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Catalog, HostStatus } from '../../catalog/types.js';
import { watch } from '../../catalog/watch.js';
import { reconcileSteps } from '../reconcile/index.js';
import { keys } from '../types.js';
import { commitPlan } from './commit.js';
import { unplacedOf, type PassEngine, type PassOutcome, type PassTerm } from './engine.js';
import type { TimeSlice } from './slice.js';
import { ParseCache, readSnapshot } from './snapshot.js';

export interface SnapshotPassOptions {
  catalog: Catalog;
  logger: Logger;
  graceMs: number;
  slice: TimeSlice;
}

/**
 * Passes for a scheduler started without a state view: every pass reads the whole catalog fresh
 * (so it always sees its own previous commit) and evaluates every job; watches on hosts and on the
 * prefixes' indexes only trigger passes, and the periodic one waits at least twice the last pass's
 * duration after it, so an unchanged 100,000-allocation cluster is not re-read back to back.
 */
export class SnapshotPasses implements PassEngine {
  private readonly downSince = new Map<string, number>();
  private readonly parsed = new ParseCache();
  private lastPassEnded = 0;
  private lastPassMs = 0;

  constructor(private readonly o: SnapshotPassOptions) {}

  begin(signal: AbortSignal, changed: () => void): void {
    this.downSince.clear();
    const { catalog, logger } = this.o;
    const onError = (err: unknown) => logger.warn({ err }, 'scheduler: watch failed, retrying');
    const follow = <T>(read: Parameters<typeof watch<T>>[0]) => void watch(read, () => changed(), { signal, onError });
    follow((o) => catalog.listHosts(o));
    // Triggers only (every pass reads fresh): the prefix's index, never its 100,000 entries.
    for (const prefix of [keys.jobPrefix, keys.allocsPrefix, keys.allocStatusesPrefix]) {
      follow(async (o) => ({ index: await catalog.kvIndex(prefix, o), value: undefined }));
    }
  }

  tick(): boolean {
    return performance.now() - this.lastPassEnded >= 2 * this.lastPassMs;
  }

  retry(): void {}

  async pass(term: PassTerm): Promise<PassOutcome | undefined> {
    const { catalog, logger, slice } = this.o;
    const started = performance.now();
    try {
      const snap = await readSnapshot(catalog, this.parsed);
      if (snap.unreadable.length) logger.warn({ keys: snap.unreadable }, 'scheduler: ignoring unreadable entries');
      const now = Date.now();
      this.trackDownHosts(snap.hosts, now);
      const plan = await slice.drive(
        reconcileSteps({
          now,
          hosts: snap.hosts,
          jobs: snap.jobs,
          allocations: snap.allocations,
          statuses: snap.statuses,
          hostDownSince: this.downSince,
          graceMs: this.o.graceMs,
          seed: term.seed,
          previous: snap.evaluations,
          claims: snap.claims,
          volumeHomes: snap.volumeHomes,
          versions: snap.versions,
        }),
      );
      slice.end();
      const fence = term.fence();
      if (!fence || !(await term.holdsLock())) return undefined;
      slice.begin();
      const result = await commitPlan(catalog, plan, snap, now, fence, () => slice.pause(), { ...(term.landed ? { landed: term.landed } : {}) });
      return { result, unplaced: unplacedOf(plan.evaluations), jobs: plan.evaluations.map((ev) => ev.job), full: true };
    } finally {
      this.lastPassEnded = performance.now();
      this.lastPassMs = this.lastPassEnded - started;
    }
  }

  private trackDownHosts(hosts: HostStatus[], now: number): void {
    const names = new Set(hosts.map((h) => h.name));
    for (const name of this.downSince.keys()) if (!names.has(name)) this.downSince.delete(name);
    for (const h of hosts) {
      if (h.alive) this.downSince.delete(h.name);
      else if (!this.downSince.has(h.name)) this.downSince.set(h.name, now);
    }
  }
}
