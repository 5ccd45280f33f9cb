import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { keys, type AllocStatus, type Allocation } from '../../src/scheduler/types.js';
import { eventually } from '../support/wait.js';
import { registerHost, seedRun, startHarness, type Harness } from '../api/helpers.js';
import { maestro, tempFile } from './helpers.js';

/** `run` without --detach follows the job; the test plays scheduler and agent through the catalog. */
describe('CLI run: progress until healthy, or why not', () => {
  let h: Harness;
  let env: Record<string, string>;
  before(async () => {
    h = await startHarness();
    env = { MAESTRO_ADDR: h.base };
    await registerHost(h.catalog, 'node-1');
  });
  after(() => h.close());

  const submitted = (job: string) => eventually(async () => (await h.catalog.kvGet(keys.job(job))).value, 10_000, `job ${job}`);
  /** Overwrites the agent's report of a seeded allocation. */
  const report = (a: Allocation, s: Partial<AllocStatus>) =>
    h.catalog.kvPut(keys.allocStatus(a.host, a.id), JSON.stringify({ allocId: a.id, containerIds: ['c'], healthy: false, updatedAt: Date.now(), ...s }));

  it('waits until every replica has been healthy for update.minHealthy, printing each change', async () => {
    const file = tempFile('api.yaml', 'name: api\nimage: busybox\ncount: 2\nupdate: { minHealthy: 1s }\n');
    const running = maestro(['run', file, '--timeout', '20s'], env);
    await submitted('api');
    const allocs = await seedRun(h.catalog, 'api', 1, [
      { ordinal: 0, host: 'node-1', state: 'pending', healthy: false },
      { ordinal: 1, host: 'node-1', state: 'pending', healthy: false },
    ]);
    await eventually(async () => (await h.catalog.kvList(keys.allocStatusPrefix('node-1'))).value.length >= 2, 5_000, 'seeded');
    // Healthy since now: not counted until it has stayed so for minHealthy (1s).
    const since = Date.now();
    for (const a of allocs) await report(a, { state: 'running', healthy: true, healthySince: since });
    const r = await running;
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Date.now() - since >= 1_000, 'run returned only after the replicas stayed healthy for minHealthy');
    assert.match(r.stdout, /^job api created \(version 1, 2 replicas wanted\)\n/);
    assert.match(r.stdout, /api-0 on node-1: running, healthy\n/);
    assert.match(r.stdout, /api-1 on node-1: running, healthy\n/);
    assert.match(r.stdout, /job api: 2\/2 replicas healthy for 1s\n$/);
  });

  it('a crash-looping replica fails run with its reason (exit 1), without waiting for the timeout', async () => {
    const file = tempFile('loop.yaml', 'name: loop\nimage: busybox\n');
    const running = maestro(['run', file, '--timeout', '60s'], env);
    await submitted('loop');
    const [a] = await seedRun(h.catalog, 'loop', 1, [{ ordinal: 0, host: 'node-1', state: 'failed', healthy: false }]);
    // The scheduler's tombstone: stopped as failed for the second time, waiting out its back-off.
    await h.catalog.kvPut(keys.alloc('node-1', a!.id), JSON.stringify({ ...a, desired: 'stop', failures: 2, rescheduleAt: Date.now() + 30_000 }));
    await report(a!, { state: 'failed', message: 'exited with code 3; last output:\nfatal: no config' });
    const r = await running;
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /error: job loop: loop-0 is crash-looping \(2 failures in a row\): exited with code 3: fatal: no config — waiting to restart: next attempt in \d+s/);
    assert.match(r.stderr, /loop-0\s+loop\s+node-1\s+failed\s+no\s+1\s+\S+\s+exited with code 3: fatal: no config/);
  });

  it('an unhealthy replica fails run with its check\'s output (exit 1)', async () => {
    const file = tempFile('sick.yaml', 'name: sick\nimage: busybox\nports: [{ container: 80 }]\nhealth: { http: /health, interval: 1s }\n');
    const running = maestro(['run', file, '--timeout', '60s'], env);
    await submitted('sick');
    const [a] = await seedRun(h.catalog, 'sick', 1, [{ ordinal: 0, host: 'node-1', state: 'running', healthy: false }]);
    await report(a!, {
      state: 'running',
      message: 'health check failing: HTTP 500 Internal Server Error: db down',
      check: { status: 'critical', output: 'HTTP 500 Internal Server Error: db down', at: Date.now(), durationMs: 2, failures: 3 },
    });
    const r = await running;
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /error: job sick: sick-0 is unhealthy: health check failing: HTTP 500 Internal Server Error: db down/);
    assert.match(r.stderr, /sick-0\s+sick\s+node-1\s+unhealthy\s+no/);
  });

  it('--json prints only the final job', async () => {
    const file = tempFile('api.yaml', 'name: api\nimage: busybox\ncount: 2\nupdate: { minHealthy: 1s }\n');
    const r = await maestro(['run', file, '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.changed, false);
    assert.equal(out.job.state, 'healthy');
    assert.equal(out.job.healthy, 2);
  });

  it('gives up with the reasons when replicas cannot be placed', async () => {
    const file = tempFile('db.yaml', 'name: db\nimage: busybox\ncount: 3\nconstraints: { hostMeta: { disk: ssd } }\n');
    const running = maestro(['run', file, '--timeout', '30s'], env);
    await submitted('db');
    await seedRun(h.catalog, 'db', 1, [], [
      { job: 'db', unplaced: 3, wanted: 3, filtered: { 'hostMeta disk=ssd': 1 }, exhausted: {}, message: '3 of 3 unplaced: 1 host filtered by hostMeta disk=ssd' },
    ]);
    const started = Date.now();
    const r = await running;
    assert.equal(r.code, 1);
    assert.ok(Date.now() - started < 15_000, 'did not wait for the whole timeout');
    assert.match(r.stdout, /unplaced: 3 of 3 unplaced: 1 host filtered by hostMeta disk=ssd/);
    assert.match(r.stderr, /error: job db: 3 of 3 replicas cannot be placed/);
    assert.match(r.stderr, /Unplaced:\n\s+3 of 3 unplaced: 1 host filtered by hostMeta disk=ssd/);
    assert.match(r.stderr, /maestro status db/);
  });

  it('times out with the state of every replica', async () => {
    const file = tempFile('slow.yaml', 'name: slow\nimage: busybox\n');
    const running = maestro(['run', file, '--timeout', '1500ms'], env);
    await submitted('slow');
    await seedRun(h.catalog, 'slow', 1, [{ ordinal: 0, host: 'node-1', state: 'failed', healthy: false }]);
    const r = await running;
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: job slow: not healthy after 1\.5s/);
    assert.match(r.stderr, /slow-0\s+slow\s+node-1\s+failed\s+no/);
  });
});
