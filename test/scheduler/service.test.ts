import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import type { Catalog } from '../../src/catalog/types.js';
import { silentLogger } from '../../src/log/index.js';
import { scaleJob, submitJob } from '../../src/scheduler/jobs.js';
import { startScheduler, type Scheduler } from '../../src/scheduler/service/index.js';
import { keys, type Allocation, type Evaluation } from '../../src/scheduler/types.js';
import { createStateView } from '../../src/view/index.js';
import { eventually } from '../support/wait.js';
import { FakeAgent } from './support/fake-agent.js';
import { mockJob } from './support/fixtures.js';

async function allocations(catalog: Catalog): Promise<Allocation[]> {
  const { value } = await catalog.kvList(keys.allocsPrefix);
  return value.map((e) => JSON.parse(e.value) as Allocation);
}

async function running(catalog: Catalog, job: string): Promise<Allocation[]> {
  return (await allocations(catalog)).filter((a) => a.job === job && a.desired === 'run').sort((a, b) => a.ordinal - b.ordinal);
}

/**
 * Every test runs twice: with a state view (passes evaluate only what changed, as `maestro server`
 * runs) and without one (every pass reads the whole catalog). The behaviour must be the same.
 */
function helpers(mode: 'view' | 'snapshot') {
  function start(catalog: Catalog, id: string, over: Partial<Parameters<typeof startScheduler>[0]> = {}): Scheduler {
    const view = mode === 'view' ? createStateView(catalog) : undefined;
    const s = startScheduler({ catalog, logger: silentLogger, id, seed: 1, intervalMs: 100, retryMs: 100, graceMs: 500, ...(view ? { view } : {}), ...over });
    return {
      ...s,
      async stop() {
        await s.stop();
        await view?.close();
      },
    };
  }

  /** An embedded catalog, a fake agent per host and one scheduler `s1`, all torn down after the test. */
  async function cluster(t: TestContext, hosts: string[], over: Partial<Parameters<typeof startScheduler>[0]> = {}) {
    const catalog = createEmbeddedCatalog();
    const agents = await Promise.all(hosts.map((h) => new FakeAgent(catalog, h).start()));
    const sched = start(catalog, 's1', over);
    t.after(async () => {
      await sched.stop();
      agents.forEach((a) => a.stop());
      await catalog.close();
    });
    return { catalog, agents, sched };
  }
  return { start, cluster };
}

for (const m of ['view', 'snapshot'] as const) {
  const { start, cluster } = helpers(m);

  test(`service (${m}): places under per-host keys, scales down through stop → agent report → delete`, async (t) => {
    const { catalog, sched } = await cluster(t, ['h1', 'h2']);
    await eventually(() => sched.isLeader(), 5_000, 'leadership');
    await submitJob(catalog, mockJob('web', { count: 4 }));
    const placed = await eventually(async () => ((await running(catalog, 'web')).length === 4 ? running(catalog, 'web') : undefined), 5_000, '4 replicas');
    assert.deepEqual(placed.map((a) => a.ordinal), [0, 1, 2, 3]);
    for (const a of placed) {
      assert.ok((await catalog.kvGet(keys.alloc(a.host, a.id))).value, 'stored under its host');
      assert.equal(JSON.parse((await catalog.kvGet(keys.allocClaim('web', a.ordinal))).value!.value).id, a.id, 'claimed');
    }
    assert.deepEqual(new Set(placed.map((a) => a.host)), new Set(['h1', 'h2']));

    await scaleJob(catalog, 'web', 1);
    await eventually(async () => (await allocations(catalog)).length === 1, 5_000, 'surplus stopped and deleted');
    assert.deepEqual((await running(catalog, 'web')).map((a) => a.id), [placed[0]!.id]);
    const statuses = await catalog.kvList(keys.allocStatusesPrefix);
    assert.equal(statuses.value.length, 1, 'statuses of deleted allocations are deleted too');
    const ev = JSON.parse((await catalog.kvGet(keys.evaluation('web'))).value!.value) as Evaluation;
    assert.equal(ev.jobVersion, 1);
    assert.ok(sched.metrics().placed >= 4);
    assert.ok(sched.metrics().removed >= 3);
  });

  test(`service (${m}): replicas on a dead host move after the grace period, keeping their names`, async (t) => {
    const { catalog, agents } = await cluster(t, ['h1', 'h2', 'h3'], { graceMs: 400 });
    await submitJob(catalog, mockJob('db', { count: 3, constraints: { distinctHosts: true } }));
    const before = await eventually(async () => ((await running(catalog, 'db')).length === 3 ? running(catalog, 'db') : undefined), 5_000, 'placed');
    const onH2 = before.find((a) => a.host === 'h2')!;
    const extra = await new FakeAgent(catalog, 'h4').start();
    t.after(() => extra.stop());
    await agents[1]!.kill();
    const killedAt = Date.now();
    const moved = await eventually(async () => (await running(catalog, 'db')).find((a) => a.ordinal === onH2.ordinal && a.host === 'h4'), 5_000, 'moved to h4');
    assert.ok(Date.now() - killedAt >= 400, 'not before the grace period');
    assert.notEqual(moved.id, onH2.id);
    assert.equal((await catalog.kvGet(keys.alloc('h2', onH2.id))).value, undefined, 'the lost allocation is deleted');
    assert.deepEqual((await running(catalog, 'db')).map((a) => a.ordinal), [0, 1, 2]);
  });

  test(`service (${m}): the standby takes over when the leader session dies, without duplicate replicas`, async (t) => {
    const catalog = createEmbeddedCatalog();
    const agents = await Promise.all(['h1', 'h2', 'h3'].map((h) => new FakeAgent(catalog, h).start()));
    const a = start(catalog, 'a', { seed: 1 });
    const b = start(catalog, 'b', { seed: 2 });
    t.after(async () => {
      await Promise.all([a.stop(), b.stop()]);
      agents.forEach((x) => x.stop());
      await catalog.close();
    });
    await eventually(() => a.isLeader() || b.isLeader(), 5_000, 'a leader');
    assert.equal(a.isLeader() && b.isLeader(), false, 'one leader');
    await submitJob(catalog, mockJob('web', { count: 6 }));
    await eventually(async () => (await running(catalog, 'web')).length === 6, 5_000, '6 replicas');

    // Watch every allocation ever written while leadership changes hands.
    const seen = new Map<string, Allocation>();
    const abort = new AbortController();
    const sampling = (async () => {
      while (!abort.signal.aborted) {
        const run = await running(catalog, 'web');
        for (const x of run) seen.set(x.id, x);
        const ordinals = run.map((x) => x.ordinal);
        assert.equal(new Set(ordinals).size, ordinals.length, `duplicate replica: ${ordinals}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();

    const [leader, standby] = a.isLeader() ? [a, b] : [b, a];
    const lock = (await catalog.kvGet(keys.leaderLock)).value!;
    const killedAt = Date.now();
    await catalog.destroySession(lock.session!);
    // Both may be evaluating now: the old leader has not noticed yet.
    await scaleJob(catalog, 'web', 9);
    await Promise.all([leader.evaluateNow(), standby.evaluateNow()]);
    await eventually(() => standby.isLeader(), 5_000, 'standby takes over');
    const tookOverMs = Date.now() - killedAt;
    assert.ok(tookOverMs < 3_000, `took over in ${tookOverMs} ms`);
    await eventually(async () => (await running(catalog, 'web')).length === 9, 5_000, '9 replicas');
    await new Promise((r) => setTimeout(r, 300));
    abort.abort();
    await sampling;
    const final = await running(catalog, 'web');
    assert.deepEqual(final.map((x) => x.ordinal), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(leader.isLeader(), false);
    // Every replica ordinal was only ever held by one allocation.
    const perOrdinal = new Map<number, Set<string>>();
    for (const x of seen.values()) perOrdinal.set(x.ordinal, (perOrdinal.get(x.ordinal) ?? new Set()).add(x.id));
    assert.deepEqual([...perOrdinal.values()].map((s) => s.size), Array(9).fill(1));
  });

  test(`service (${m}): two schedulers racing on one state cannot double a replica (claims)`, async (t) => {
    const catalog = createEmbeddedCatalog();
    const agents = await Promise.all(['h1', 'h2'].map((h) => new FakeAgent(catalog, h).start()));
    t.after(async () => {
      agents.forEach((x) => x.stop());
      await catalog.close();
    });
    await submitJob(catalog, mockJob('web', { count: 5 }));
    // Two commits from one snapshot, as two leaders would make them.
    const { readSnapshot, commitPlan } = await import('../../src/scheduler/service/index.js');
    const { reconcile } = await import('../../src/scheduler/reconcile/index.js');
    const snap = await readSnapshot(catalog);
    const plan = (seed: number) =>
      reconcile({ now: Date.now(), hosts: snap.hosts, jobs: snap.jobs, allocations: snap.allocations, statuses: snap.statuses, hostDownSince: new Map(), graceMs: 1_000, seed, claims: snap.claims });
    const first = await commitPlan(catalog, plan(1), snap, Date.now());
    const second = await commitPlan(catalog, plan(2), snap, Date.now());
    assert.equal(first.placed, 5);
    assert.deepEqual([second.placed, second.conflicts], [0, 5]);
    assert.equal((await running(catalog, 'web')).length, 5);
  });

  test(`service (${m}): a rolling update replaces one replica at a time, each after the previous is healthy`, async (t) => {
    const { catalog } = await cluster(t, ['h1', 'h2']);
    const spec = { count: 3, update: { maxParallel: 1, minHealthy: '300ms' } };
    await submitJob(catalog, mockJob('web', spec));
    await eventually(async () => (await running(catalog, 'web')).length === 3, 5_000, 'v1 placed');
    await submitJob(catalog, mockJob('web', { ...spec, image: 'busybox:2' }));
    const firstSeen = new Map<string, number>();
    await eventually(
      async () => {
        const run = await running(catalog, 'web');
        assert.ok(run.length >= 2, 'never more than maxParallel replicas down');
        for (const a of run) if (a.jobVersion === 2 && !firstSeen.has(a.id)) firstSeen.set(a.id, Date.now());
        return run.length === 3 && run.every((a) => a.jobVersion === 2);
      },
      10_000,
      'all on version 2',
    );
    const times = [...firstSeen.values()].sort((a, b) => a - b);
    assert.equal(times.length, 3);
    for (let i = 1; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! >= 250, `batch ${i} waited for minHealthy: ${times[i]! - times[i - 1]!} ms`);
    const ev = await eventually(async () => {
      const e = JSON.parse((await catalog.kvGet(keys.evaluation('web'))).value!.value) as Evaluation;
      return e.rollout?.state === 'complete' ? e : undefined;
    }, 5_000, 'rollout complete');
    assert.equal(ev.jobVersion, 2);
  });

  test(`service (${m}): a crash-looping replica is replaced with back-off, its history kept in the KV`, async (t) => {
    const catalog = createEmbeddedCatalog();
    const agent = await new FakeAgent(catalog, 'h1', { tickMs: 20 }).start();
    const sched = start(catalog, 's1', { intervalMs: 50 });
    t.after(async () => {
      await sched.stop();
      agent.stop();
      await catalog.close();
    });
    await eventually(() => sched.isLeader(), 5_000, 'leadership');
    agent.crashing.add('web');
    const started = Date.now();
    await submitJob(catalog, mockJob('web', { reschedule: { delay: '200ms', maxDelay: '400ms' } }));
    const ev = await eventually(async () => {
      const { value } = await catalog.kvGet(keys.evaluation('web'));
      const e = value ? (JSON.parse(value.value) as Evaluation) : undefined;
      return e?.delayed?.[0] && e.delayed[0].failures >= 4 ? e : undefined;
    }, 10_000, 'four failures');
    // Without back-off a pass every 50 ms replaces at once; with it, 0 + 200 + 400 ms at least.
    assert.ok(Date.now() - started >= 600, `took ${Date.now() - started} ms`);
    assert.equal(ev.delayed![0]!.message, `web-0 crash-looping: next attempt in 400ms (${ev.delayed![0]!.failures} failures)`);
    const tombstone = (await allocations(catalog)).find((a) => a.desired === 'stop' && a.rescheduleAt === ev.delayed![0]!.rescheduleAt);
    assert.ok(tombstone, 'the failed allocation is kept, stamped, until its replacement exists');

    agent.crashing.delete('web');
    await eventually(async () => {
      const all = await allocations(catalog);
      return all.length === 1 && all[0]!.desired === 'run' ? all : undefined;
    }, 5_000, 'a healthy replica, nothing else left');
    const [survivor] = await running(catalog, 'web');
    assert.ok(survivor!.previousFailures! >= 4);
  });
}
