import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../src/log/index.js';
import { startScheduler, type Scheduler } from '../../src/scheduler/index.js';
import { keys, type AllocStatus } from '../../src/scheduler/types.js';
import { eventually } from '../support/wait.js';
import { registerHost, startHarness, type Harness } from '../api/helpers.js';
import { maestro, tempFile } from './helpers.js';

/** The CLI and API over the real scheduler (no agent: the test reports container states itself). */
describe('CLI with the real scheduler', () => {
  let h: Harness;
  let scheduler: Scheduler;
  let env: Record<string, string>;
  before(async () => {
    h = await startHarness();
    env = { MAESTRO_ADDR: h.base };
    await registerHost(h.catalog, 'node-1', { disk: 'hdd' });
    scheduler = startScheduler({ catalog: h.catalog, logger: silentLogger, seed: 1, intervalMs: 200 });
    await eventually(() => scheduler.isLeader(), 15_000, 'leadership');
  });
  after(async () => {
    await scheduler.stop();
    await h.close();
  });

  it('run explains why replicas cannot be placed, then gives up with exit 1', async () => {
    const file = tempFile('ssd.yaml', 'name: fast\nimage: busybox\ncount: 2\nconstraints: { hostMeta: { disk: ssd } }\n');
    const r = await maestro(['run', file, '--timeout', '20s'], env);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /unplaced: .*disk=ssd/);
    assert.match(r.stderr, /error: job fast: 2 of 2 replicas cannot be placed/);
  });

  it('run places replicas; ps shows them; run returns once the agent reports them healthy', async () => {
    const file = tempFile('web.yaml', 'name: web\nimage: busybox\ncount: 2\nlabels: { tier: frontend }\n');
    const running = maestro(['run', file, '--timeout', '20s'], env);
    // Stand in for node-1's agent: report every allocation of the job running and healthy.
    const allocs = await eventually(async () => {
      const { value } = await h.catalog.kvList(keys.allocPrefix('node-1'));
      const web = value.map((e) => JSON.parse(e.value)).filter((a) => a.job === 'web');
      return web.length === 2 ? web : undefined;
    }, 15_000, 'two allocations');
    const ps = JSON.parse((await maestro(['ps', 'web', '--json', '-l', 'tier=frontend'], env)).stdout);
    assert.deepEqual(ps.map((a: { instance: string; host: string }) => `${a.instance}@${a.host}`).sort(), ['web-0@node-1', 'web-1@node-1']);
    for (const a of allocs) {
      const status: AllocStatus = { allocId: a.id, state: 'running', containerIds: ['c'], healthy: true, healthySince: Date.now(), updatedAt: Date.now() };
      await h.catalog.kvPut(keys.allocStatus('node-1', a.id), JSON.stringify(status));
    }
    const r = await running;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /job web: 2\/2 replicas healthy/);

    const scaled = await maestro(['scale', 'web', '1'], env);
    assert.equal(scaled.code, 0, scaled.stderr);
    const live = await eventually(async () => {
      const job = JSON.parse((await maestro(['status', 'web', '--json'], env)).stdout);
      const run = job.allocations.filter((a: { desired: string }) => a.desired === 'run');
      return run.length === 1 ? run : undefined;
    }, 15_000, 'scaled to one');
    assert.equal(live[0].instance, 'web-0', 'the highest ordinals stop first');
  });
});
