/**
 * The state view's adapter: follows the catalog's change feed (src/catalog/feed/) and keeps the
 * pure core (core.ts) current, wakes blocking queries and tells subscribers. One per process:
 * `maestro server` / `maestro up` build it once and hand it to the API and the scheduler.
 */
import type { Catalog } from '../catalog/types.js';
import { followCatalog } from '../catalog/feed/index.js';
import { silentLogger, type Logger } from '../log/index.js';
import type { AllocState, AllocStatus, Allocation } from '../state/index.js';
import { ViewState } from './core.js';
import type { StateView, ViewChange } from './types.js';
import { IndexWaiters } from './waiters.js';

export interface StateViewOptions {
  /** KV keys mirrored (default `maestro/`: every shared record, claims, volume homes, versions). */
  prefix?: string;
  logger?: Logger;
}

/** What the view offers beyond the shared interface (types.ts), for the API's filters. */
export interface IndexedStateView extends StateView {
  /** Allocations whose agent reported `state` (`pending` also lists those with no status yet). */
  allocsInState(state: AllocState): readonly Allocation[];
  /** Names of the jobs carrying label `key=value`. */
  jobsWithLabel(key: string, value: string): readonly string[];
  /** Blocking queries waiting now (for /metrics and tests). */
  readonly blocked: number;
  /** Full re-syncs since start (the first one included). */
  readonly resets: number;
}

export function createStateView(catalog: Catalog, opts: StateViewOptions = {}): IndexedStateView {
  const state = new ViewState();
  const waiters = new IndexWaiters();
  const listeners = new Set<(c: ViewChange) => void>();
  const log = opts.logger ?? silentLogger;
  const ac = new AbortController();
  let resets = 0;
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const following = followCatalog(
    catalog,
    {
      prefix: opts.prefix ?? 'maestro/',
      signal: ac.signal,
      onError: (err, attempt) => (attempt === 1 ? log.warn : log.debug).call(log, { err, attempt }, 'state view: catalog feed failed; serving the last state and retrying'),
    },
    (batch) => {
      const before = state.index;
      const change = state.apply(batch);
      if (batch.reset) {
        resets++;
        if (resets > 1) log.info({ index: change.index, before }, 'state view: re-synced from a full listing');
        markReady();
      }
      // An index that went backwards makes every waiter's index meaningless: answer them all now.
      if (change.index < before) waiters.wakeAll();
      else waiters.wake(change.index);
      for (const l of [...listeners]) {
        try {
          l(change);
        } catch (err) {
          log.error({ err }, 'state view: a subscriber failed');
        }
      }
    },
  ).catch((err) => log.error({ err }, 'state view: the catalog feed ended'));

  const pending = (): readonly Allocation[] => {
    const out: Allocation[] = [];
    for (const { value: a } of state.allocs.values()) {
      const s = state.statuses.get(a.id)?.value;
      if (!s || s.state === 'pending') out.push(a);
    }
    return out;
  };

  return {
    get index() {
      return state.index;
    },
    ready: () => ready,
    job: (name) => state.jobs.get(name),
    jobs: () => state.jobList(),
    alloc: (id) => state.allocs.get(id)?.value,
    allocsOfJob: (job) => state.allocsByJob.list(job),
    allocsOnHost: (host) => state.allocsByHost.list(host),
    allocs: () => [...state.allocs.values()].map((k) => k.value),
    status: (id): AllocStatus | undefined => state.statuses.get(id)?.value,
    evaluation: (job) => state.evals.get(job),
    host: (name) => state.hosts.get(name),
    hosts: () => state.hostList(),
    instancesOf: (service) => state.instancesByService.list(service),
    instances: () => state.instanceList(),
    kv: (key) => state.kv.get(key),
    kvPrefix: (prefix) => state.kv.prefix(prefix),
    allocsInState: (s) => (s === 'pending' ? pending() : state.idsByState.list(s).map((id) => state.allocs.get(id)?.value).filter((a): a is Allocation => !!a)),
    jobsWithLabel: (key, value) => state.jobsByLabel.list(`${key}=${value}`),
    get blocked() {
      return waiters.size;
    },
    get resets() {
      return resets;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async waitForIndex(index, waitMs, signal) {
      if (state.index > index) return state.index;
      await waiters.wait(index, waitMs, signal);
      return state.index;
    },
    async close() {
      ac.abort();
      waiters.wakeAll();
      await following;
    },
  };
}
