import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostStatus } from '../../src/catalog/types.js';
import { ClusterUsage, placeJob, placeOnHosts, placeReplicas } from '../../src/scheduler/placement/index.js';
import type { Allocation, Job } from '../../src/scheduler/types.js';
import { mockHost, mockHosts, mockJob } from './support/fixtures.js';

function usage(hosts: HostStatus[], jobs: Job[] = [], allocs: Allocation[] = []): ClusterUsage {
  return new ClusterUsage({ hosts, allocations: allocs, jobs: new Map(jobs.map((j) => [j.name, j])) });
}

function alloc(job: string, host: string, ordinal = 0): Allocation {
  return { id: `${job}-${ordinal}-x`, job, ordinal, host, jobVersion: 1, desired: 'run', createdAt: 0 };
}

function place(u: ClusterUsage, job: Job, n = job.count, seed = 7) {
  return placeReplicas(u, job, Array.from({ length: n }, (_, i) => i), { seed });
}

const hostsOf = (r: ReturnType<typeof place>) => r.placed.map((p) => p.host);

test('host liveness: down hosts are never chosen', () => {
  const hosts = [mockHost('a', { alive: false }), mockHost('b')];
  const r = place(usage(hosts), mockJob('web', { count: 3 }));
  assert.deepEqual(hostsOf(r), ['b', 'b', 'b']);
});

test('hosts globs pin a job to named hosts', () => {
  const hosts = [mockHost('db-1'), mockHost('db-2'), mockHost('web-1')];
  const r = place(usage(hosts), mockJob('pg', { count: 4, constraints: { hosts: ['db-*'] } }));
  assert.ok(hostsOf(r).every((h) => h.startsWith('db-')));
  assert.equal(r.placed.length, 4);
});

test('hostMeta filters and explains', () => {
  const hosts = [...mockHosts(4, { meta: { disk: 'hdd' } }), mockHost('ssd-1', { meta: { disk: 'ssd' }, memory: 250 })];
  const r = place(usage(hosts), mockJob('redis', { count: 3, resources: { cpu: 100, memory: 200 }, constraints: { hostMeta: { disk: 'ssd' } } }));
  assert.deepEqual(hostsOf(r), ['ssd-1']);
  assert.deepEqual(r.failure, {
    job: 'redis',
    unplaced: 2,
    wanted: 3,
    filtered: { 'hostMeta disk=ssd': 4 },
    exhausted: { memory: 1 },
    message: '2 of 3 unplaced: 4 hosts filtered by hostMeta disk=ssd, 1 host out of memory',
  });
});

test('distinctHosts and maxPerHost', () => {
  const r1 = place(usage(mockHosts(3)), mockJob('a', { count: 4, constraints: { distinctHosts: true } }));
  assert.equal(new Set(hostsOf(r1)).size, 3);
  assert.equal(r1.failure?.message, '1 of 4 unplaced: 3 hosts filtered by distinctHosts');
  const r2 = place(usage(mockHosts(2)), mockJob('b', { count: 5, constraints: { maxPerHost: 2 } }));
  assert.equal(r2.placed.length, 4);
  assert.equal(r2.failure?.message, '1 of 5 unplaced: 2 hosts filtered by maxPerHost 2');
});

test('colocateWith places only next to the other job', () => {
  const web = mockJob('web');
  const hosts = mockHosts(4);
  const u = usage(hosts, [web], [alloc('web', 'host-2')]);
  const r = place(u, mockJob('cache', { count: 2, constraints: { colocateWith: 'web' } }));
  assert.deepEqual(hostsOf(r), ['host-2', 'host-2']);
  const none = place(usage(hosts), mockJob('cache', { count: 1, constraints: { colocateWith: 'web' } }));
  assert.equal(none.failure?.message, '1 of 1 unplaced: 4 hosts filtered by colocateWith web');
});

test('conflictsWith holds in both directions', () => {
  const batch = mockJob('batch-7', { constraints: { conflictsWith: ['db'] } });
  const hosts = mockHosts(3);
  const u = usage(hosts, [batch], [alloc('batch-7', 'host-0'), alloc('batch-7', 'host-1', 1)]);
  const r = place(u, mockJob('api', { count: 3, constraints: { conflictsWith: ['batch-*'] } }));
  assert.deepEqual(hostsOf(r), ['host-2', 'host-2', 'host-2']);
  const db = place(u, mockJob('db', { count: 1, constraints: { hosts: ['host-0', 'host-1'] } }));
  assert.equal(db.failure?.message, '1 of 1 unplaced: 2 hosts filtered by conflictsWith of batch-7, 1 host filtered by hosts host-0,host-1');
});

test('fixed host ports must be free', () => {
  const other = mockJob('other', { ports: [{ container: 80, host: 8080 }] });
  const u = usage(mockHosts(2), [other], [alloc('other', 'host-0')]);
  const r = place(u, mockJob('web', { count: 2, ports: [{ container: 80, host: 8080 }] }));
  assert.deepEqual(hostsOf(r), ['host-1']);
  assert.equal(r.failure?.message, '1 of 2 unplaced: 2 hosts filtered by port tcp/8080 in use');
  // udp and tcp are separate port spaces
  const udp = place(u, mockJob('dns', { count: 2, ports: [{ container: 53, host: 8080, protocol: 'udp' }], constraints: { distinctHosts: true } }));
  assert.equal(udp.placed.length, 2);
});

test('cpu and memory against capacity minus what is allocated; pods are summed', () => {
  const pod = mockJob('pod', {
    image: undefined,
    resources: undefined,
    containers: [
      { name: 'a', image: 'x', resources: { cpu: 300, memory: 100 } },
      { name: 'b', image: 'y', resources: { cpu: 300, memory: 100 } },
    ],
    count: 4,
  });
  const big = mockJob('big', { resources: { cpu: 500, memory: 100 } });
  const hosts = [mockHost('h1', { cpu: 1_000, memory: 10_000 }), mockHost('h2', { cpu: 1_300, memory: 10_000 })];
  const u = usage(hosts, [big], [alloc('big', 'h2')]);
  const r = place(u, pod);
  // h1 fits one pod (600 of 1000), h2 fits one (500 + 600 of 1300).
  assert.deepEqual(hostsOf(r).sort(), ['h1', 'h2']);
  assert.equal(r.failure?.message, '2 of 4 unplaced: 2 hosts out of cpu');
  assert.equal(u.byName.get('h1')!.cpu, 600);
  assert.equal(u.byName.get('h2')!.cpu, 1_100);
});

test('spread puts replicas on distinct, least allocated hosts; binpack fills one host first', () => {
  const hosts = mockHosts(4);
  const filler = mockJob('filler', { resources: { cpu: 2_000, memory: 4_000 } });
  const u = usage(hosts, [filler], [alloc('filler', 'host-0')]);
  const spread = place(u, mockJob('s', { count: 3 }));
  assert.deepEqual(hostsOf(spread).sort(), ['host-1', 'host-2', 'host-3']);
  const packed = place(usage(hosts, [filler], [alloc('filler', 'host-0')]), mockJob('b', { count: 3, strategy: 'binpack' }));
  assert.deepEqual(hostsOf(packed), ['host-0', 'host-0', 'host-0']);
});

test('deterministic for a seed; ties broken by the seeded shuffle', () => {
  const job = mockJob('web', { count: 20 });
  const run = (seed: number) => hostsOf(place(usage(mockHosts(100)), job, 20, seed));
  assert.deepEqual(run(1), run(1));
  assert.notDeepEqual(run(1), run(2));
  assert.equal(new Set(run(3)).size, 20, 'spread over 100 equal hosts: 20 distinct');
});

test('large clusters rank a limited set of candidates and still fill every host', () => {
  const hosts = mockHosts(500, { cpu: 1_000, memory: 1_000 });
  const job = mockJob('many', { count: 5_000, resources: { cpu: 100, memory: 100 } });
  const r = place(usage(hosts), job);
  assert.equal(r.placed.length, 5_000);
  assert.equal(r.failure, undefined);
  const over = place(usage(hosts), job, 5_001);
  assert.equal(over.failure?.message, '1 of 5001 unplaced: 500 hosts out of cpu');
});

test('placeOnHosts (global jobs) explains the hosts that cannot take a replica', () => {
  const hosts = [mockHost('a'), mockHost('b', { memory: 50 })];
  const u = usage(hosts);
  let next = 0;
  const r = placeOnHosts(u, mockJob('agent', { global: true }), ['a', 'b'], () => next++, 2);
  assert.deepEqual(r.placed, [{ ordinal: 0, host: 'a' }]);
  assert.equal(r.failure?.message, '1 of 2 unplaced: 1 host out of memory');
});

test('no hosts', () => {
  const r = place(usage([]), mockJob('web', { count: 2 }));
  assert.equal(r.failure?.message, '2 of 2 unplaced: no hosts registered');
});

test('placeJob is pure over a plain snapshot', () => {
  const snapshot = { hosts: mockHosts(3), allocations: [alloc('web', 'host-0')], jobs: new Map([['web', mockJob('web')]]) };
  const frozen = JSON.stringify({ ...snapshot, jobs: [...snapshot.jobs] });
  const a = placeJob(snapshot, mockJob('api', { count: 2 }), [0, 1], { seed: 3 });
  const b = placeJob(snapshot, mockJob('api', { count: 2 }), [0, 1], { seed: 3 });
  assert.deepEqual(a, b);
  assert.equal(a.placed.length, 2);
  assert.equal(JSON.stringify({ ...snapshot, jobs: [...snapshot.jobs] }), frozen);
});
