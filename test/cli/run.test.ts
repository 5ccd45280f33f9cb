import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { keys } from '../../src/scheduler/types.js';
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

  it('waits until every replica is healthy, printing each change', async () => {
    const file = tempFile('api.yaml', 'name: api\nimage: busybox\ncount: 2\n');
    const running = maestro(['run', file, '--timeout', '20s'], env);
    await submitted('api');
    await seedRun(h.catalog, 'api', 1, [
      { ordinal: 0, host: 'node-1', state: 'pending', healthy: false },
      { ordinal: 1, host: 'node-1', state: 'pending', healthy: false },
    ]);
    await new Promise((r) => setTimeout(r, 700));
    await seedRun(h.catalog, 'api', 1, [
      { ordinal: 0, host: 'node-1', state: 'running', healthy: true },
      { ordinal: 1, host: 'node-1', state: 'running', healthy: true },
    ]);
    const r = await running;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^job api created \(version 1, 2 replicas wanted\)\n/);
    assert.match(r.stdout, /api-0 on node-1: pending\n/);
    assert.match(r.stdout, /api-0 on node-1: running, healthy\n/);
    assert.match(r.stdout, /api-1 on node-1: running, healthy\n/);
    assert.match(r.stdout, /job api: 2\/2 replicas healthy\n$/);
  });

  it('--json prints only the final job', async () => {
    const file = tempFile('api.yaml', 'name: api\nimage: busybox\ncount: 2\n');
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
