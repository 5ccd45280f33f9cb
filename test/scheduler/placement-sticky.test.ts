/**
 * Sticky placement: a replica with named volumes goes back to the host holding them — across
 * replacements, stop + run, rolling updates and scale down/up — and moves only once that host is
 * lost (down past the grace period), with the reason shown and the data said to stay behind.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { placePinned, ClusterUsage, REASONS } from '../../src/scheduler/placement/index.js';
import { instanceName } from '../../src/scheduler/types.js';
import { mockHost, mockHosts, mockJob } from './support/fixtures.js';
import { Harness } from './support/harness.js';

/** The harness with two conveniences of these tests. */
class StickyHarness extends Harness {
  where(job: string): Record<string, string> {
    return Object.fromEntries(this.running(job).map((a) => [instanceName(a.job, a.ordinal), a.host]));
  }

  resume(job: string): void {
    const r = this.jobs.get(job)!;
    this.jobs.set(job, { ...r, stopped: false });
  }
}

const redis = (doc: Record<string, unknown> = {}) =>
  mockJob('redis', { count: 3, volumes: [{ name: 'data', path: '/data' }], update: { maxParallel: 1, minHealthy: '0s' }, ...doc });

test('the first placement records each replica\'s volume home; a job without volumes records nothing', () => {
  const h = new StickyHarness(mockHosts(4));
  h.submit(redis());
  h.submit(mockJob('web', { count: 2 }));
  h.settle();
  const where = h.where('redis');
  assert.equal(Object.keys(where).length, 3);
  for (const [instance, host] of Object.entries(where)) {
    const home = h.homes.get(`redis/${instance.slice('redis-'.length)}`);
    assert.deepEqual(home, { host, volumes: ['data'], at: h.plans[0]!.evaluations[0]!.at });
  }
  assert.deepEqual([...h.homes.keys()].filter((k) => k.startsWith('web/')), []);
});

test('stop + run, a rolling update and scale down/up all place each replica back on its volumes\' host', () => {
  const h = new StickyHarness(mockHosts(6));
  h.submit(redis());
  h.settle();
  const first = h.where('redis');

  h.stopJob('redis');
  h.settle();
  assert.deepEqual(h.running('redis'), []);
  // Many passes with other seeds: without stickiness the spread would land elsewhere.
  for (let i = 0; i < 5; i++) h.process();
  h.resume('redis');
  h.settle();
  assert.deepEqual(h.where('redis'), first, 'stop + run');

  h.submit(redis({ env: { VERSION: '2' } }));
  h.settle(40);
  assert.ok(h.running('redis').every((a) => a.jobVersion === 2), 'rolled out');
  assert.deepEqual(h.where('redis'), first, 'rolling update');

  h.scale('redis', 1);
  h.settle();
  h.scale('redis', 3);
  h.settle();
  assert.deepEqual(h.where('redis'), first, 'scale down and up');
});

test('a failed replica is replaced on its volumes\' host', () => {
  const h = new StickyHarness(mockHosts(5));
  h.submit(redis());
  h.settle();
  const first = h.where('redis');
  const victim = h.running('redis').find((a) => a.ordinal === 1)!;
  h.report(victim.id, { state: 'failed', healthy: false, message: 'exited with code 1' });
  h.settle();
  assert.deepEqual(h.where('redis'), first);
});

test('while the home host is down within its grace period the replica waits there, with the reason shown', () => {
  const h = new StickyHarness(mockHosts(4));
  h.submit(redis({ count: 2 }));
  h.settle();
  const first = h.where('redis');
  const home = first['redis-1']!;
  h.stopJob('redis');
  h.settle();
  h.setAlive(home, false);
  h.resume('redis');
  h.settle();
  assert.deepEqual(h.where('redis'), { 'redis-0': first['redis-0'] }, 'redis-1 waits for its host');
  const failure = h.evaluations.get('redis')!.failures[0]!;
  assert.equal(failure.message, `1 of 2 unplaced: 3 hosts filtered by ${REASONS.volumes('redis-1', home)}, 1 host filtered by host down`);
  // The host comes back within the grace period: the replica goes home.
  h.advance(5_000);
  h.setAlive(home, true);
  h.settle();
  assert.deepEqual(h.where('redis'), first);
  assert.equal(h.evaluations.get('redis')!.volumesLeftBehind, undefined);
});

test('a home host lost past the grace period: the replica moves, and status says its data stays behind', () => {
  const h = new StickyHarness(mockHosts(4));
  h.submit(redis({ count: 2 }));
  h.settle();
  const first = h.where('redis');
  const lost = first['redis-1']!;
  h.setAlive(lost, false);
  h.settle();
  assert.equal(h.where('redis')['redis-1'], lost, 'kept during the grace period');
  h.advance(h.graceMs);
  h.settle();
  const moved = h.where('redis')['redis-1']!;
  assert.notEqual(moved, lost);
  assert.equal(h.where('redis')['redis-0'], first['redis-0']);
  assert.deepEqual(h.homes.get('redis/1'), { host: moved, volumes: ['data'], at: h.now, leftBehind: [{ host: lost, volumes: ['data'], at: h.now }] });
  assert.deepEqual(h.evaluations.get('redis')!.volumesLeftBehind, [`redis-1 moved to ${moved}; its volumes (data) stay behind on ${lost}`]);
  // The new home is sticky from now on, even once the old host returns.
  h.setAlive(lost, true);
  h.stopJob('redis');
  h.settle();
  h.resume('redis');
  h.settle();
  assert.equal(h.where('redis')['redis-1'], moved);
});

test('a pinned replica whose home cannot take it is unplaced with that host\'s own reason; others still place', () => {
  const hosts = [mockHost('a', { memory: 150 }), mockHost('b'), mockHost('c')];
  const job = redis({ count: 2 });
  const usage = new ClusterUsage({ hosts, allocations: [], jobs: new Map([['redis', job]]) });
  usage.add('a', mockJob('hog', { resources: { cpu: 100, memory: 100 } }));
  const r = placePinned(usage, job, [{ ordinal: 0, host: 'a' }, { ordinal: 1, host: 'b' }], 2);
  assert.deepEqual(r.placed, [{ ordinal: 1, host: 'b' }]);
  assert.equal(r.failure?.message, `1 of 2 unplaced: 2 hosts filtered by ${REASONS.volumes('redis-0', 'a')}, 1 host out of memory`);
  const gone = placePinned(usage, job, [{ ordinal: 0, host: 'deregistered' }], 2);
  assert.equal(gone.failure?.filtered['host down'], 1);
});

test('global jobs: a host holding a replica\'s volumes gets that replica\'s ordinal back', () => {
  const h = new StickyHarness(mockHosts(3));
  h.submit(mockJob('agent', { global: true, volumes: [{ name: 'state', path: '/state' }] }));
  h.settle();
  const before = h.where('agent');
  h.stopJob('agent');
  h.settle();
  // A host that joins while the job is stopped would take ordinal 0 by name order without the record.
  h.hosts.set('0-new', mockHost('0-new'));
  h.resume('agent');
  h.settle();
  const after = h.where('agent');
  for (const [instance, host] of Object.entries(before)) assert.equal(after[instance], host, instance);
  assert.equal(Object.keys(after).length, 4);
});
