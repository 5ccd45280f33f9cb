/**
 * `maestro server` without the CLI's config layer, for `run.js --server proc`: the same scheduler and
 * API on the same etcd adapter (what src/roles/control-plane.ts starts), in its own process, but with
 * the etcd call deadline as a parameter. `maestro server` has a fixed 2 s per attempt; on a machine
 * loaded well past its cores a call can miss it three times in a row, and the client's circuit breaker
 * then refuses every call for 5 s (see README.md, "Findings").
 *
 *   argv[2]: JSON { etcd, prefix, port, callTimeoutMs, hold, timeline }
 *
 * `timeline`: a file that gets one JSON line per committed pass (the scheduler's `onPass`: wait for
 * the view, apply, plan, commit, transactions, idle time before it) — run.js summarises it.
 */
import { appendFileSync } from 'node:fs';
import { startApi } from '../../src/api/index.js';
import { createEtcdCatalog } from '../../src/catalog/etcd/index.js';
import { componentLogger, createLogger } from '../../src/log/index.js';
import { startScheduler, type PassReport, type Scheduler } from '../../src/scheduler/service/index.js';
import { createStateView } from '../../src/view/index.js';

const cfg = JSON.parse(process.argv[2]!) as { etcd: string; prefix: string; port: number; callTimeoutMs: number; hold?: boolean; timeline?: string };
const log = createLogger({ level: 'warn' });
const catalog = createEtcdCatalog({ endpoints: [cfg.etcd], prefix: cfg.prefix, hostName: 'bench-server', logger: log, callTimeoutMs: cfg.callTimeoutMs });
// One state view for the scheduler and the API, as src/roles/control-plane.ts builds it.
const view = createStateView(catalog, { logger: componentLogger(log, 'view') });
// `hold`: the scheduler starts on SIGUSR2 (run.js --submit-first: every job stored before placing).
let scheduler: Scheduler | undefined;
const t0 = performance.now();
const onPass = (p: PassReport) => {
  const { jobs, ...rest } = p;
  if (cfg.timeline) appendFileSync(cfg.timeline, JSON.stringify({ endedAt: performance.now() - t0, jobs: jobs.length, ...rest }) + '\n');
};
const schedule = () => (scheduler ??= startScheduler({ catalog, view, logger: componentLogger(log, 'scheduler'), graceMs: 10_000, onPass }));
if (cfg.hold) process.once('SIGUSR2', schedule);
else schedule();
const idle = { leader: false, placed: 0 };
const api = await startApi({
  catalog,
  view,
  addr: { host: '127.0.0.1', port: cfg.port },
  logger: componentLogger(log, 'api'),
  metricsSources: {
    scheduler: { read: () => scheduler?.metrics() ?? idle, counters: ['leaderChanges', 'passes', 'placed', 'stopped', 'removed', 'conflicts', 'errors'] },
  },
});
process.once('SIGTERM', () => {
  void (async () => {
    await api.stop();
    await scheduler?.stop();
    await view.close();
    await catalog.close();
    process.exit(0);
  })();
});
