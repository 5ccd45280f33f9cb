import { test } from 'node:test';
import assert from 'node:assert/strict';
import { plan, sameStatus, type DesiredAlloc } from '../../src/agent/plan.js';
import type { AllocStatus } from '../../src/scheduler/types.js';
import { alloc, container, job } from './fixtures.js';

const none = new Map<string, string>();
const run = (allocs: DesiredAlloc[], containers = [] as ReturnType<typeof container>[], extra: { failures?: Map<string, string>; previous?: Map<string, AllocStatus> } = {}) =>
  plan({ allocs, containers, startFailures: extra.failures ?? none, previous: extra.previous ?? new Map(), now: 1000 });

test('missing replicas are started and reported pending', () => {
  const j = job('web');
  const allocs = [0, 1, 2].map((o) => ({ alloc: alloc('web', o), job: j }));
  const p = run(allocs, [container(allocs[1]!.alloc)]);
  assert.deepEqual(p.actions.map((a) => a.kind === 'start' && a.alloc.ordinal), [0, 2]);
  assert.deepEqual(p.statuses.map((s) => s.state), ['pending', 'running', 'pending']);
});

test('in sync: no actions, running and healthy since now (or since before)', () => {
  const a = alloc('web', 0);
  const c = container(a, { health: 'healthy' });
  const p = run([{ alloc: a, job: job('web') }], [c]);
  assert.deepEqual(p.actions, []);
  assert.deepEqual(p.statuses[0], { allocId: a.id, state: 'running', containerIds: [c.id], healthy: true, healthySince: 1000, updatedAt: 1000 });
  const prev = new Map([[a.id, { ...p.statuses[0]!, healthySince: 500 }]]);
  assert.equal(run([{ alloc: a, job: job('web') }], [c], { previous: prev }).statuses[0]!.healthySince, 500);
  const starting = run([{ alloc: a, job: job('web') }], [container(a, { health: 'starting' })]).statuses[0]!;
  assert.equal(starting.healthy, false);
  assert.equal(starting.healthySince, undefined);
});

test('a dead container fails the allocation and is not restarted', () => {
  const a = alloc('web', 0);
  const dead = container(a, { running: false, exitCode: 137 });
  const p = run([{ alloc: a, job: job('web') }], [dead]);
  assert.deepEqual(p.actions, []);
  assert.equal(p.statuses[0]!.state, 'failed');
  assert.match(p.statuses[0]!.message!, /main exited with code 137/);
});

test('a pod with a dead member stops the others and keeps the first message', () => {
  const a = alloc('pod', 0);
  const j = job('pod', {}, [{ name: 'web' }, { name: 'loader' }]);
  const web = container(a, {}, 'web');
  const loader = container(a, { running: false, exitCode: 1 }, 'loader');
  const p = run([{ alloc: a, job: j }], [loader, web]);
  assert.deepEqual(p.actions, [{ kind: 'stop', allocId: a.id, containerIds: [web.id], reason: 'pod member died' }]);
  assert.deepEqual(p.statuses[0]!.containerIds, [web.id, loader.id]);
  const previous = new Map([[a.id, p.statuses[0]!]]);
  const later = run([{ alloc: a, job: j }], [loader, { ...web, running: false, exitCode: 143 }], { previous });
  assert.deepEqual(later.actions, []);
  assert.match(later.statuses[0]!.message!, /loader exited with code 1/);
});

test('failure is sticky: a failed allocation whose containers vanished is not started again', () => {
  const a = alloc('web', 0);
  const previous = new Map([[a.id, { allocId: a.id, state: 'failed' as const, containerIds: [], healthy: false, message: 'boom', updatedAt: 1 }]]);
  const p = run([{ alloc: a, job: job('web') }], [], { previous });
  assert.deepEqual(p.actions, []);
  assert.equal(p.statuses[0]!.message, 'boom');
  const failures = new Map([[a.id, 'docker: cannot pull img:1']]);
  const q = run([{ alloc: a, job: job('web') }], [], { failures });
  assert.deepEqual(q.actions, []);
  assert.equal(q.statuses[0]!.state, 'failed');
  assert.equal(q.statuses[0]!.message, 'docker: cannot pull img:1');
});

test('desired stop removes the containers, then reports stopped', () => {
  const a = alloc('web', 0, { desired: 'stop' });
  const c = container(a);
  const p = run([{ alloc: a }], [c]);
  assert.deepEqual(p.actions, [{ kind: 'remove', allocId: a.id, containerIds: [c.id], reason: 'allocation stopped' }]);
  assert.deepEqual(p.statuses, []);
  assert.equal(run([{ alloc: a }], []).statuses[0]!.state, 'stopped');
});

test('fencing: containers of allocations not on this host are removed', () => {
  const kept = alloc('web', 0);
  const moved = alloc('web', 1);
  const p = run([{ alloc: kept, job: job('web') }], [container(kept), container(moved), container(moved, {}, 'side')]);
  assert.equal(p.actions.length, 1);
  const [action] = p.actions;
  assert.equal(action!.kind, 'remove');
  assert.equal(action!.kind === 'remove' && action.containerIds.length, 2);
  assert.equal(action!.kind === 'remove' && action.reason, 'no allocation on this host');
});

test('a new job version replaces the containers; an incomplete pod is recreated', () => {
  const a = alloc('web', 0, { jobVersion: 2 });
  const old = container(alloc('web', 0));
  const p = run([{ alloc: a, job: job('web') }], [old]);
  assert.deepEqual(p.actions.map((x) => x.kind), ['remove', 'start']);
  const j = job('pod', {}, [{ name: 'a' }, { name: 'b' }]);
  const b = alloc('pod', 0);
  const q = run([{ alloc: b, job: j }], [container(b, {}, 'a')]);
  assert.deepEqual(q.actions.map((x) => x.kind), ['remove', 'start']);
  const neverStarted = run([{ alloc: alloc('web', 3), job: job('web') }], [container(alloc('web', 3), { running: false, startedAt: '0001-01-01T00:00:00Z' })]);
  assert.deepEqual(neverStarted.actions.map((x) => x.kind), ['remove', 'start']);
});

test('without the job spec nothing is started or removed', () => {
  const a = alloc('web', 0);
  const p = run([{ alloc: a, jobMissing: 'catalog unreachable' }], [container(a)]);
  assert.deepEqual(p.actions, []);
  assert.equal(p.statuses[0]!.state, 'running');
  const q = run([{ alloc: alloc('web', 1), jobMissing: 'job web version 1 not found' }]);
  assert.deepEqual(q.actions, []);
  assert.deepEqual([q.statuses[0]!.state, q.statuses[0]!.message], ['pending', 'job web version 1 not found']);
});

test('sameStatus ignores updatedAt only', () => {
  const s: AllocStatus = { allocId: 'a', state: 'running', containerIds: ['x'], healthy: true, healthySince: 5, updatedAt: 1 };
  assert.ok(sameStatus(s, { ...s, updatedAt: 9 }));
  assert.ok(!sameStatus(s, { ...s, healthy: false }));
  assert.ok(!sameStatus(s, { ...s, containerIds: ['y'] }));
  assert.ok(!sameStatus(undefined, s));
});
