/**
 * The scheduler's pass timeline (`onPass`): where a pass's time went and what its commit sent, and
 * counters that move as etcd (here the embedded store) acknowledges each unit rather than when the
 * pass ends — what the cluster benchmark reads to find where its wall time goes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import { silentLogger } from '../../src/log/index.js';
import { submitJob } from '../../src/scheduler/jobs.js';
import { startScheduler, type PassReport } from '../../src/scheduler/service/index.js';
import { createStateView } from '../../src/view/index.js';
import { eventually } from '../support/wait.js';
import { FakeAgent } from './support/fake-agent.js';
import { mockJob } from './support/fixtures.js';

test('onPass reports the phases and transactions of a committed pass; placed counts before the pass ends', async (t) => {
  const catalog = createEmbeddedCatalog();
  const view = createStateView(catalog);
  const agents = await Promise.all(['h1', 'h2', 'h3'].map((h) => new FakeAgent(catalog, h, { tickMs: 20 }).start()));
  const reports: { report: PassReport; placedCounter: number }[] = [];
  const sched = startScheduler({
    catalog, view, logger: silentLogger, id: 's1', seed: 1, intervalMs: 50, fullPassMs: 3_600_000,
    onPass: (report) => reports.push({ report, placedCounter: sched.metrics().placed }),
  });
  t.after(async () => {
    await sched.stop();
    for (const a of agents) a.stop();
    await view.close();
    await catalog.close();
  });
  await eventually(() => sched.isLeader(), 5_000, 'leadership');
  await submitJob(catalog, mockJob('web', { count: 40, resources: { cpu: 1, memory: 8 } }));
  await eventually(() => reports.some((r) => r.report.placed > 0), 10_000, 'a pass that placed');
  const placing = reports.filter((r) => r.report.placed > 0);
  assert.equal(placing.length, 1, 'one pass places the whole job');
  const { report, placedCounter } = placing[0]!;
  assert.equal(report.placed, 40);
  // The counter had every placement when onPass ran: it moves as units land, not after the pass.
  assert.equal(placedCounter, 40);
  const x = report.timing;
  assert.ok(x, 'a view pass reports its timing');
  // Each placement is a claim and an allocation; every transaction also carries the fence.
  assert.ok(x.txns >= 1 && x.ops >= 40 * 2 + x.txns, `ops ${x.ops} in ${x.txns} txns`);
  assert.ok(x.peakInFlight >= 1 && x.inFlight === 0, 'every transaction answered');
  assert.ok(x.commitMs > 0 && x.planMs > 0 && x.txnMs > 0, JSON.stringify(x));
  assert.ok(report.ms >= x.planMs + x.commitMs, 'the phases fit in the pass');
});
