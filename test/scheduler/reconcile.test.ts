import assert from 'node:assert/strict';
import { test } from 'node:test';
import { instanceName } from '../../src/scheduler/types.js';
import { mockHost, mockHosts, mockJob } from './support/fixtures.js';
import { Harness } from './support/harness.js';

const names = (h: Harness, job: string) => h.running(job).map((a) => instanceName(a.job, a.ordinal));

test('places a job with ordinals 0..N-1 and is then quiet', () => {
  const h = new Harness(mockHosts(3));
  h.submit(mockJob('web', { count: 3 }));
  const plan = h.process();
  assert.equal(plan.place.length, 3);
  assert.deepEqual(names(h, 'web'), ['web-0', 'web-1', 'web-2']);
  assert.equal(new Set(h.running('web').map((a) => a.host)).size, 3, 'spread over the three hosts');
  assert.deepEqual(plan.evaluations, [{ job: 'web', at: h.now, jobVersion: 1, placed: 3, stopped: 0, failures: [] }]);
  h.agents();
  const again = h.process();
  assert.deepEqual([again.place.length, again.stop.length, again.remove.length], [0, 0, 0]);
});

test('scale up reuses the lowest free ordinals; scale down stops the highest first', () => {
  const h = new Harness(mockHosts(3));
  h.submit(mockJob('web', { count: 5 }));
  h.settle();
  h.scale('web', 2);
  const down = h.process();
  assert.deepEqual(down.stop.map((a) => a.ordinal), [4, 3, 2]);
  h.agents();
  const cleanup = h.process();
  assert.deepEqual(cleanup.remove.map((a) => a.ordinal).sort(), [2, 3, 4], 'stopped allocations are deleted once reported');
  assert.deepEqual(names(h, 'web'), ['web-0', 'web-1']);
  h.scale('web', 4);
  h.settle();
  assert.deepEqual(names(h, 'web'), ['web-0', 'web-1', 'web-2', 'web-3']);
});

test('a dead container is replaced under the same instance name', () => {
  const h = new Harness(mockHosts(2));
  h.submit(mockJob('web', { count: 2 }));
  h.settle();
  const victim = h.running('web')[1]!;
  h.report(victim.id, { state: 'failed', message: 'exit 137' });
  const plan = h.process();
  assert.deepEqual(plan.stop.map((a) => a.id), [victim.id]);
  assert.equal(plan.place.length, 1);
  assert.equal(plan.place[0]!.ordinal, 1);
  assert.notEqual(plan.place[0]!.id, victim.id);
  h.settle();
  assert.deepEqual(names(h, 'web'), ['web-0', 'web-1']);
  assert.equal(h.allocs.has(victim.id), false, 'the failed allocation is gone');
});

test('a container that stopped without being asked counts as dead', () => {
  const h = new Harness(mockHosts(1));
  h.submit(mockJob('web'));
  h.settle();
  const a = h.running('web')[0]!;
  h.report(a.id, { state: 'stopped' });
  const plan = h.process();
  assert.equal(plan.place.length, 1);
  assert.equal(plan.place[0]!.ordinal, 0);
});

test('a dead host: nothing moves during the grace period, then replicas move keeping their ordinals', () => {
  const h = new Harness(mockHosts(3));
  h.submit(mockJob('web', { count: 3, constraints: { distinctHosts: true } }));
  h.submit(mockJob('spare', { count: 0 }));
  h.settle();
  const lostOne = h.running('web').find((a) => a.host === 'host-1')!;
  h.hosts.set('host-3', mockHost('host-3'));
  h.setAlive('host-1', false);
  h.advance(5_000);
  const during = h.process();
  assert.deepEqual([during.place.length, during.stop.length, during.remove.length], [0, 0, 0]);
  h.advance(5_000);
  const after = h.process();
  assert.deepEqual(after.remove.map((a) => a.id), [lostOne.id], 'its key is deleted: there is no agent to tell');
  assert.deepEqual(after.place.map((a) => [a.ordinal, a.host]), [[lostOne.ordinal, 'host-3']]);
  h.settle();
  assert.deepEqual(names(h, 'web'), ['web-0', 'web-1', 'web-2']);
  // The host coming back changes nothing: its replica lives elsewhere now.
  h.setAlive('host-1', true);
  const back = h.process();
  assert.deepEqual([back.place.length, back.stop.length], [0, 0]);
});

test('a host that comes back within grace keeps its replicas', () => {
  const h = new Harness(mockHosts(2));
  h.graceMs = 3_000;
  h.submit(mockJob('web', { count: 2 }));
  h.settle();
  h.setAlive('host-0', false);
  h.advance(2_000);
  h.process();
  h.setAlive('host-0', true);
  h.advance(5_000);
  const plan = h.process();
  assert.deepEqual([plan.place.length, plan.stop.length, plan.remove.length], [0, 0, 0]);
});

test('global jobs run on every matching host, and pick up new hosts', () => {
  const h = new Harness([...mockHosts(3, { meta: { role: 'edge' } }), mockHost('core-0')]);
  h.submit(mockJob('lb', { global: true, constraints: { hostMeta: { role: 'edge' } } }));
  h.settle();
  assert.deepEqual(h.running('lb').map((a) => a.host).sort(), ['host-0', 'host-1', 'host-2']);
  assert.deepEqual(names(h, 'lb'), ['lb-0', 'lb-1', 'lb-2']);
  h.hosts.set('host-9', mockHost('host-9', { meta: { role: 'edge' } }));
  const plan = h.process();
  assert.deepEqual(plan.place.map((a) => [a.host, a.ordinal]), [['host-9', 3]]);
  // A host whose metadata no longer matches loses its replica.
  h.hosts.set('host-0', mockHost('host-0', { meta: { role: 'core' } }));
  const moved = h.process();
  assert.deepEqual(moved.stop.map((a) => a.host), ['host-0']);
});

test('a stopped job stops everything; an unknown job too', () => {
  const h = new Harness(mockHosts(2));
  h.submit(mockJob('web', { count: 2 }));
  h.submit(mockJob('old', { count: 1 }));
  h.settle();
  h.stopJob('web');
  h.jobs.delete('old');
  const plan = h.process();
  assert.equal(plan.stop.length, 3);
  h.settle();
  assert.equal(h.running().length, 0);
  assert.equal(h.allocs.size, 0);
});

test('unplaceable replicas are explained in the evaluation', () => {
  const h = new Harness([...mockHosts(4, { meta: { disk: 'hdd' } }), mockHost('fast', { meta: { disk: 'ssd' }, memory: 250 })]);
  h.submit(mockJob('redis', { count: 3, resources: { cpu: 100, memory: 200 }, constraints: { hostMeta: { disk: 'ssd' } } }));
  h.settle();
  const ev = h.evaluations.get('redis')!;
  assert.equal(ev.failures[0]?.message, '2 of 3 unplaced: 4 hosts filtered by hostMeta disk=ssd, 1 host out of memory');
  assert.deepEqual(names(h, 'redis'), ['redis-0']);
});

test('rolling update: maxParallel at a time, next batch only after minHealthy', () => {
  const h = new Harness(mockHosts(4));
  const spec = { count: 4, update: { maxParallel: 2, minHealthy: '5s' } };
  h.submit(mockJob('web', spec));
  h.settle();
  const v1 = new Map(h.running('web').map((a) => [a.ordinal, a.id]));
  const rec = h.submit(mockJob('web', { ...spec, image: 'busybox:2' }));
  assert.equal(rec.version, 2);

  const b1 = h.process();
  assert.deepEqual(b1.stop.map((a) => a.ordinal), [0, 1]);
  assert.deepEqual(b1.place.map((a) => [a.ordinal, a.jobVersion]), [[0, 2], [1, 2]]);
  assert.deepEqual(b1.evaluations[0]!.rollout, { state: 'running', message: '2 of 4 replica(s) on version 2' });
  h.agents();
  // Healthy, but not yet for 5 s: no new batch.
  h.advance(4_000);
  const wait = h.process();
  assert.deepEqual([wait.place.length, wait.stop.length], [0, 0]);
  h.agents();
  h.advance(1_000);
  const b2 = h.process();
  assert.deepEqual(b2.place.map((a) => a.ordinal), [2, 3]);
  h.agents();
  h.advance(5_000);
  h.settle();
  assert.deepEqual(h.running('web').map((a) => [a.ordinal, a.jobVersion]), [[0, 2], [1, 2], [2, 2], [3, 2]]);
  assert.ok(h.running('web').every((a) => v1.get(a.ordinal) !== a.id));
  assert.equal(h.evaluations.get('web')!.rollout?.state, 'complete');
});

test('a rollout whose new allocations fail stops, and says so', () => {
  const h = new Harness(mockHosts(3));
  const spec = { count: 3, update: { maxParallel: 1, minHealthy: '1s' } };
  h.submit(mockJob('web', spec));
  h.settle();
  h.submit(mockJob('web', { ...spec, image: 'broken' }));
  const b1 = h.process();
  assert.equal(b1.place.length, 1);
  h.report(b1.place[0]!.id, { state: 'failed', message: 'exec: not found' });
  h.advance(10_000);
  const failed = h.process();
  const rollout = h.evaluations.get('web')!.rollout!;
  assert.equal(rollout.state, 'failed');
  assert.match(rollout.message!, /web-0 \(.*\) failed: exec: not found; rollout to version 2 stopped with 2 replica\(s\) on older versions/);
  assert.deepEqual(failed.stop.map((a) => a.id), [b1.place[0]!.id], 'only the failed one is stopped');
  h.agents();
  for (let i = 0; i < 3; i++) {
    h.advance(10_000);
    h.process();
    h.agents();
  }
  assert.equal(h.evaluations.get('web')!.rollout?.state, 'failed', 'stays failed');
  assert.equal(h.running('web').filter((a) => a.jobVersion === 1).length, 2, 'outdated replicas keep running');
  // A fixed version starts a new rollout.
  h.submit(mockJob('web', { ...spec, image: 'fixed' }));
  h.advance(1_000);
  h.process();
  assert.equal(h.evaluations.get('web')!.rollout?.state, 'running');
});

test('a scale-only change does not roll anything', () => {
  const h = new Harness(mockHosts(2));
  h.submit(mockJob('web', { count: 2 }));
  h.settle();
  const rec = h.submit(mockJob('web', { count: 3 }));
  assert.equal(rec.version, 1);
  const plan = h.process();
  assert.deepEqual(plan.stop, []);
  assert.deepEqual(plan.place.map((a) => a.ordinal), [2]);
});

test('duplicate allocations for one ordinal are reduced to one', () => {
  const h = new Harness(mockHosts(2));
  h.submit(mockJob('web', { count: 1 }));
  h.settle();
  const [a] = h.running('web');
  const dup = { ...a!, id: 'web-0-dup', host: 'host-1', createdAt: a!.createdAt + 1 };
  h.allocs.set(dup.id, dup);
  const plan = h.process();
  assert.deepEqual(plan.stop.map((x) => x.id), ['web-0-dup'], 'the running, older one stays');
});

test('claims: a superseded allocation is stopped; an in-flight claim is not placed twice', async () => {
  const { reconcile } = await import('../../src/scheduler/reconcile/index.js');
  const job = mockJob('web', { count: 2 });
  const base = {
    now: 100_000,
    hosts: mockHosts(2),
    jobs: [{ job, version: 1, submittedAt: 0, stopped: false }],
    statuses: new Map(),
    hostDownSince: new Map(),
    graceMs: 10_000,
    seed: 1,
  };
  const a0 = { id: 'web-0-a', job: 'web', ordinal: 0, host: 'host-0', jobVersion: 1, desired: 'run' as const, createdAt: 0 };
  const claims = new Map([
    ['web/0', { id: 'web-0-b', at: 99_000 }],
    ['web/1', { id: 'web-1-c', at: 99_000 }],
  ]);
  const plan = reconcile({ ...base, allocations: [a0], claims });
  assert.deepEqual(plan.stop.map((a) => a.id), ['web-0-a']);
  assert.deepEqual(plan.place, [], 'both ordinals are claimed by allocations being committed');
  const later = reconcile({ ...base, now: 200_000, allocations: [], claims });
  assert.deepEqual(later.place.map((a) => a.ordinal), [0, 1], 'stale claims are taken over');
});

test('a co-located job is evaluated after the job it follows, in the same pass', () => {
  const h = new Harness(mockHosts(5));
  h.submit(mockJob('a-cache', { count: 2, constraints: { colocateWith: 'web' } }));
  h.submit(mockJob('web', { count: 2, constraints: { distinctHosts: true } }));
  const plan = h.process();
  const webHosts = new Set(plan.place.filter((a) => a.job === 'web').map((a) => a.host));
  const cacheHosts = plan.place.filter((a) => a.job === 'a-cache').map((a) => a.host);
  assert.equal(cacheHosts.length, 2);
  assert.ok(cacheHosts.every((x) => webHosts.has(x)));
});

test('global jobs: rolling update on each host in turn; a lost host just loses its replica', () => {
  const h = new Harness(mockHosts(3));
  const spec = { global: true, update: { maxParallel: 1, minHealthy: '1s' } };
  h.submit(mockJob('agent', spec));
  h.settle();
  const before = new Map(h.running('agent').map((a) => [a.host, a.ordinal]));
  h.submit(mockJob('agent', { ...spec, image: 'agent:2' }));
  for (let i = 0; i < 10; i++) {
    h.advance(1_000);
    const plan = h.process();
    assert.ok(plan.place.length <= 1, 'one host at a time');
    for (const a of plan.place) assert.equal(a.ordinal, before.get(a.host), 'same host, same ordinal');
    h.agents();
  }
  assert.deepEqual(h.running('agent').map((a) => a.jobVersion), [2, 2, 2]);
  assert.equal(h.evaluations.get('agent')!.rollout?.state, 'complete');
  h.setAlive('host-2', false);
  h.advance(h.graceMs);
  const plan = h.process();
  assert.deepEqual(plan.remove.map((a) => a.host), ['host-2']);
  assert.deepEqual(plan.place, [], 'no other host needs a second copy');
});

test('replicas of an older version are charged what that version asks for', () => {
  const h = new Harness([mockHost('only', { cpu: 950 })]);
  const spec = { count: 2, resources: { cpu: 400, memory: 10 }, update: { maxParallel: 1, minHealthy: '1s' } };
  h.submit(mockJob('web', spec));
  h.settle();
  h.submit(mockJob('web', { ...spec, resources: { cpu: 500, memory: 10 } }));
  // Replacing replica 0 frees 400; replica 1 still holds 400 (not 500): 900 of 950 fits.
  const plan = h.process();
  assert.deepEqual(plan.place.map((a) => [a.ordinal, a.jobVersion]), [[0, 2]]);
  assert.deepEqual(plan.evaluations[0]!.failures, []);
});
