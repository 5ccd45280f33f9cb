/**
 * Scheduling proportional to change (Nomad's evaluations): with a state view, a pass evaluates only
 * the jobs whose inputs changed. Real embedded catalog, real state view, fake agents over the KV;
 * the scheduler tells which jobs each pass evaluated (`onPass`). The safety full pass is pushed out
 * of the way (an hour) so that what is asserted is the selection itself.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import { silentLogger } from '../../src/log/index.js';
import { scaleJob, stopJob, submitJob } from '../../src/scheduler/jobs.js';
import { startScheduler } from '../../src/scheduler/service/index.js';
import { createStateView } from '../../src/view/index.js';
import { eventually } from '../support/wait.js';
import { FakeAgent } from './support/fake-agent.js';
import { mockJob } from './support/fixtures.js';

async function cluster(t: TestContext, hosts: string[], agentOpts: ConstructorParameters<typeof FakeAgent>[2] = {}, timing: { intervalMs?: number; graceMs?: number } = {}) {
  const catalog = createEmbeddedCatalog();
  const view = createStateView(catalog);
  const agents = new Map<string, FakeAgent>();
  for (const h of hosts) agents.set(h, await new FakeAgent(catalog, h, { tickMs: 20, ...agentOpts }).start());
  const passes: { jobs: string[]; full: boolean }[] = [];
  const sched = startScheduler({
    catalog,
    view,
    logger: silentLogger,
    id: 's1',
    seed: 1,
    intervalMs: timing.intervalMs ?? 50,
    graceMs: timing.graceMs ?? 60_000,
    fullPassMs: 3_600_000,
    onPass: (p) => passes.push({ jobs: [...p.jobs].sort(), full: p.full }),
  });
  t.after(async () => {
    await sched.stop();
    for (const a of agents.values()) a.stop();
    await view.close();
    await catalog.close();
  });
  await eventually(() => sched.isLeader(), 5_000, 'leadership');
  /** Every job running its count, every allocation reported, and the passes those reports caused done. */
  const settle = async (jobs: Record<string, number>) => {
    await eventually(
      () =>
        Object.entries(jobs).every(([job, n]) => {
          const all = view.allocsOfJob(job);
          return all.length === n && all.every((a) => a.desired === 'run' && view.status(a.id)?.state === 'running');
        }),
      10_000,
      `settled: ${JSON.stringify(jobs)}`,
    );
    // Queued after any pass the last reports caused: when it returns, every change so far is handled.
    await sched.evaluateNow();
    return passes.length;
  };
  return { catalog, view, agents, sched, passes, settle };
}

const submit = (catalog: Parameters<typeof submitJob>[0], name: string, doc: Record<string, unknown>): Promise<unknown> => submitJob(catalog, mockJob(name, doc));

test('changes: scaling job a evaluates a, and only a, until it settles', async (t) => {
  const { catalog, passes, settle } = await cluster(t, ['h1', 'h2', 'h3']);
  for (const name of ['a', 'b', 'c']) await submit(catalog, name, { count: 2 });
  const from = await settle({ a: 2, b: 2, c: 2 });

  await scaleJob(catalog, 'a', 3);
  await settle({ a: 3, b: 2, c: 2 });
  const after = passes.slice(from);
  assert.ok(after.some((p) => p.jobs.includes('a')), 'a was evaluated');
  assert.deepEqual(after.filter((p) => p.jobs.some((j) => j !== 'a')), [], 'no pass evaluated b or c');
});

test('changes: a host going down evaluates exactly the jobs with allocations on it', async (t) => {
  const { catalog, agents, passes, settle } = await cluster(t, ['h1', 'h2', 'h3']);
  await submit(catalog, 'a', { count: 1, constraints: { hosts: ['h1'] } });
  await submit(catalog, 'b', { count: 1, constraints: { hosts: ['h2'] } });
  await submit(catalog, 'c', { count: 2, constraints: { hosts: ['h1', 'h3'], distinctHosts: true } });
  await submit(catalog, 'd', { count: 1, constraints: { hosts: ['h3'] } });
  const from = await settle({ a: 1, b: 1, c: 2, d: 1 });

  await agents.get('h1')!.kill();
  const first = await eventually(() => passes[from], 5_000, 'a pass after h1 went down');
  assert.deepEqual(first.jobs, ['a', 'c']);
  assert.equal(first.full, false);
});

test('changes: a down host\'s replicas move when its grace period ends, not at the next periodic tick', async (t) => {
  // No periodic tick within the test: only the grace timer can end the grace period.
  const { catalog, agents, view, settle } = await cluster(t, ['h1', 'h2'], {}, { intervalMs: 3_600_000, graceMs: 300 });
  await submit(catalog, 'a', { count: 1, constraints: { hosts: ['h1', 'h2'] } });
  await settle({ a: 1 });
  const lost = view.allocsOfJob('a')[0]!.host;
  await agents.get(lost)!.kill();
  await eventually(() => view.allocsOfJob('a').some((x) => x.desired === 'run' && x.host !== lost), 10_000, 'a re-placed off the down host');
});

test('changes: a job blocked for lack of room is evaluated again when room appears elsewhere', async (t) => {
  const { catalog, view, passes, settle } = await cluster(t, ['h1'], { memory: 1_000 });
  await submit(catalog, 'big', { count: 1, resources: { cpu: 100, memory: 600 } });
  await settle({ big: 1 });
  await submit(catalog, 'waiting', { count: 1, resources: { cpu: 100, memory: 600 } });
  const blocked = await eventually(() => view.evaluation('waiting')?.failures[0], 5_000, 'waiting blocked');
  assert.match(blocked.message, /out of memory/);
  const from = await settle({ big: 1 });

  // Nothing about `waiting` changes: only `big` stops, and its memory comes free.
  await stopJob(catalog, 'big');
  await settle({ big: 0, waiting: 1 });
  const placedBy = passes.slice(from).find((p) => p.jobs.includes('waiting'));
  assert.ok(placedBy, 'waiting was evaluated again');
  assert.equal(placedBy.full, false, 'by a change-driven pass, not a full one');
});

test('changes: a pass asked for with nothing changed evaluates no job', async (t) => {
  const { catalog, sched, passes, settle } = await cluster(t, ['h1', 'h2']);
  await submit(catalog, 'a', { count: 2 });
  const from = await settle({ a: 2 });
  const before = sched.metrics();
  for (let i = 0; i < 5; i++) await sched.evaluateNow();
  assert.equal(passes.length, from);
  assert.deepEqual([sched.metrics().passes, sched.metrics().evaluated], [before.passes, before.evaluated]);
});
