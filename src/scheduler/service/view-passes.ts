import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Catalog } from '../../catalog/types.js';
import type { StateView } from '../../view/types.js';
import { LiveUsage } from '../placement/index.js';
import { planJobs } from '../reconcile/index.js';
import { commitPlan } from './commit.js';
import { unplacedOf, type PassEngine, type PassOutcome, type PassTerm } from './engine.js';
import { isEmpty, noChanges, noteChange, Selection, type Changes } from './selection.js';
import type { TimeSlice } from './slice.js';
import { Laps, newTiming } from './timeline.js';
import { ViewInputs } from './view-inputs.js';

export interface ViewPassOptions {
  view: StateView;
  catalog: Catalog;
  logger: Logger;
  graceMs: number;
  fullPassMs: number;
  slice: TimeSlice;
}

/** How long a pass waits for the view to show the previous commit before going ahead anyway. */
const READ_YOUR_WRITES_MS = 10_000;

/**
 * Change-driven passes over a state view (Nomad's evaluations): the view's change notifications are
 * accumulated between passes; a pass re-charges the usage of what changed and evaluates only the
 * jobs those changes touch (selection.ts). Nothing changed → no pass at all. A full pass — usage
 * rebuilt, every job evaluated — runs on a view reset, at the start of each leader term, and as a
 * safety net every `fullPassMs`, so a change the selection rules missed is healed within that bound.
 */
export class ViewPasses implements PassEngine {
  private usage!: LiveUsage;
  private readonly state: ViewInputs;
  private selection = new Selection();
  private changes: Changes = noChanges();
  private readonly downSince = new Map<string, number>();
  /** Down hosts whose grace period already ran out (their jobs were evaluated for it). */
  private readonly expired = new Set<string>();
  /** Keys the last commit wrote, with their modifyIndex before: the next pass waits to see them. */
  private unseen: { key: string; before: number }[] = [];
  private lastFull = 0;
  /** This term's wake-up: a pass is due. */
  private wake: (() => void) | undefined;
  /** Timers that end a down host's grace period on time, not at the next tick (up to a second later). */
  private readonly graceTimers = new Set<NodeJS.Timeout>();

  constructor(private readonly o: ViewPassOptions) {
    this.state = new ViewInputs(o.view);
  }

  begin(signal: AbortSignal, changed: () => void): void {
    // Grace periods restart with each term: a new leader never replaces on a predecessor's clock.
    this.downSince.clear();
    this.expired.clear();
    this.changes = { ...noChanges(), reset: true };
    this.wake = changed;
    const unsubscribe = this.o.view.subscribe((c) => {
      noteChange(this.changes, c);
      for (const h of c.hosts) this.trackHost(h, Date.now());
      changed();
    });
    signal.addEventListener('abort', () => {
      unsubscribe();
      this.wake = undefined;
      for (const t of this.graceTimers) clearTimeout(t);
      this.graceTimers.clear();
    }, { once: true });
  }

  tick(now: number): boolean {
    for (const j of this.selection.timed) this.changes.extra.add(j);
    for (const [host, since] of this.downSince) {
      if (now - since < this.o.graceMs || this.expired.has(host)) continue;
      this.expired.add(host);
      for (const j of this.jobsOn(host)) this.changes.extra.add(j);
    }
    if (now - this.lastFull >= this.o.fullPassMs) this.changes.reset = true;
    return !isEmpty(this.changes);
  }

  retry(jobs: Iterable<string>): void {
    for (const j of jobs) this.changes.extra.add(j);
  }

  async pass(term: PassTerm): Promise<PassOutcome | undefined> {
    await this.o.view.ready();
    const timing = newTiming();
    const laps = new Laps();
    this.o.slice.begin();
    await this.caughtUp();
    timing.waitMs = laps.lap();
    if (isEmpty(this.changes)) return undefined;
    const c = this.changes;
    this.changes = noChanges();
    const now = Date.now();
    const { slice, catalog } = this.o;
    slice.begin();
    let jobs: Set<string> | undefined;
    try {
      jobs = c.reset ? await this.rebuild(now) : await this.apply(c);
      timing.applyMs = laps.lap();
      if (jobs.size === 0) return undefined;
      this.usage.beginPass();
      let plan;
      let result;
      try {
        const input = this.state.input({ now, seed: term.seed, graceMs: this.o.graceMs, downSince: this.downSince, usage: this.usage });
        // One plan, then its commit. Planning the next jobs while a commit is in flight was tried
        // (groups of 16 jobs): the planner's slices and the commit's responses then share the
        // loop, and the 20,000-replica run went from ~1,500 to ~660 placements/s.
        plan = await slice.drive(planJobs(input, jobs));
        slice.end();
        timing.planMs = laps.lap();
        // The fence: a deposed leader that has not noticed yet must not write.
        const fence = term.fence();
        if (!fence || !(await term.holdsLock())) return undefined;
        slice.begin();
        result = await commitPlan(catalog, plan, this.state.basis(), now, fence, () => slice.pause(), { stats: timing, ...(term.landed ? { landed: term.landed } : {}) });
        timing.commitMs = laps.lap();
      } finally {
        // The plan's charges come back as the view shows the committed allocations.
        this.usage.rollback();
      }
      for (const ev of plan.evaluations) this.selection.evaluated(ev);
      this.unseen = result.written;
      if (this.state.unreadable.size) this.o.logger.warn({ keys: [...this.state.unreadable].slice(0, 20) }, 'scheduler: ignoring unreadable entries');
      this.state.unreadable.clear();
      return { result, unplaced: unplacedOf(plan.evaluations), jobs: [...jobs], full: c.reset, timing };
    } catch (err) {
      // Nothing taken is lost: the jobs are evaluated again by the next pass.
      if (c.reset) this.changes.reset = true;
      for (const j of jobs ?? []) this.changes.extra.add(j);
      for (const set of ['jobs', 'allocJobs', 'hosts'] as const) for (const x of c[set]) this.changes[set].add(x);
      throw err;
    }
  }

  /**
   * Read-your-writes: the next pass starts only once the view shows every key the last commit
   * wrote — the view has reached the commit's index — so it never re-places what it just placed.
   * Waiting on the keys rather than on an index number holds on every adapter, whatever index the
   * store reports for a write.
   */
  private async caughtUp(): Promise<void> {
    const view = this.o.view;
    const deadline = performance.now() + READ_YOUR_WRITES_MS;
    for (;;) {
      // 100,000 placements leave 200,000 keys to look for: checked in slices, like any long step.
      const still: { key: string; before: number }[] = [];
      for (let i = 0; i < this.unseen.length; i++) {
        const w = this.unseen[i]!;
        if ((view.kv(w.key)?.modifyIndex ?? 0) === w.before) still.push(w);
        if (i % 4_096 === 4_095) await this.o.slice.pause();
      }
      this.unseen = still;
      if (this.unseen.length === 0) return;
      const left = deadline - performance.now();
      if (left <= 0) {
        this.o.logger.warn({ unseen: this.unseen.length, key: this.unseen[0]!.key }, 'scheduler: the state view has not shown the last commit; going ahead');
        this.unseen = [];
        return;
      }
      await view.waitForIndex(view.index, left);
      this.o.slice.begin();
    }
  }

  /** Applies what changed to the usage and says which jobs to evaluate. */
  private async apply(c: Changes): Promise<Set<string>> {
    const view = this.o.view;
    this.usage.setHosts([...c.hosts].map((h) => [h, view.host(h)]));
    for (const j of c.jobs) {
      const job = view.job(j)?.job;
      this.usage.setJob(j, job);
      this.selection.setJob(j, job);
    }
    const sync = new Set([...c.jobs, ...c.allocJobs]);
    for (const h of c.hosts) for (const j of this.jobsOn(h)) sync.add(j);
    let freed = false;
    let n = 0;
    for (const j of sync) {
      if (this.usage.syncAllocs(j, view.allocsOfJob(j))) freed = true;
      if (++n % 64 === 0) await this.o.slice.pause();
    }
    return this.selection.select(c, (h) => this.jobsOn(h), freed);
  }

  /** A full pass: usage rebuilt from the view, every job (and every job only allocations name) evaluated. */
  private async rebuild(now: number): Promise<Set<string>> {
    const { view, slice } = this.o;
    this.lastFull = now;
    // Blocked and time-bound jobs are learnt again from this pass's evaluations of every job.
    this.selection = new Selection();
    this.usage = new LiveUsage((a) => this.state.spec(a.job, a.jobVersion));
    const hosts = view.hosts();
    this.usage.setHosts(hosts.map((h) => [h.name, h]));
    for (const name of [...this.downSince.keys()]) if (!view.host(name)) this.downSince.delete(name);
    for (const h of hosts) this.trackHost(h.name, now);
    const jobs = new Set<string>();
    for (const r of view.jobs()) {
      jobs.add(r.job.name);
      this.usage.setJob(r.job.name, r.job);
      this.selection.setJob(r.job.name, r.job);
    }
    let n = 0;
    for (const a of view.allocs()) {
      jobs.add(a.job);
      if (++n % 4_096 === 0) await slice.pause();
    }
    for (const j of jobs) {
      this.usage.syncAllocs(j, view.allocsOfJob(j));
      await slice.pause();
    }
    return jobs;
  }

  private trackHost(name: string, now: number): void {
    const h = this.o.view.host(name);
    if (!h || h.alive) {
      this.downSince.delete(name);
      this.expired.delete(name);
    } else if (!this.downSince.has(name)) {
      this.downSince.set(name, now);
      if (!this.wake) return;
      const timer = setTimeout(() => {
        this.graceTimers.delete(timer);
        if (this.tick(Date.now())) this.wake?.();
      }, Math.max(0, now + this.o.graceMs - Date.now()) + 1);
      timer.unref();
      this.graceTimers.add(timer);
    }
  }

  private jobsOn(host: string): Set<string> {
    return new Set(this.o.view.allocsOnHost(host).map((a) => a.job));
  }
}
