import { test } from 'node:test';
import assert from 'node:assert/strict';
import { plan, sameStatus, type DesiredAlloc } from '../../src/agent/plan.js';
import type { StartFailure } from '../../src/agent/why.js';
import { ALLOC_EVENTS_KEPT, type AllocStatus, type CheckResult } from '../../src/scheduler/types.js';
import { alloc, container, job } from './fixtures.js';

const none = new Map<string, StartFailure>();
const run = (
  allocs: DesiredAlloc[],
  containers = [] as ReturnType<typeof container>[],
  extra: { failures?: Map<string, StartFailure>; previous?: Map<string, AllocStatus>; checks?: Map<string, CheckResult>; tails?: Map<string, string>; now?: number } = {},
) => plan({ allocs, containers, startFailures: extra.failures ?? none, previous: extra.previous ?? new Map(), checks: extra.checks, tails: extra.tails, now: extra.now ?? 1000 });

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
  assert.deepEqual(p.statuses[0], {
    allocId: a.id, state: 'running', containerIds: [c.id], healthy: true, healthySince: 1000, updatedAt: 1000,
    events: [{ at: 1000, type: 'started', message: 'started' }],
  });
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
  assert.equal(p.statuses[0]!.message, 'exited with code 137');
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
  const failures = new Map<string, StartFailure>([[a.id, { type: 'image-pull-failed', message: 'image pull failed: img:1' }]]);
  const q = run([{ alloc: a, job: job('web') }], [], { failures });
  assert.deepEqual(q.actions, []);
  assert.equal(q.statuses[0]!.state, 'failed');
  assert.equal(q.statuses[0]!.message, 'image pull failed: img:1');
  assert.deepEqual(q.statuses[0]!.events, [{ at: 1000, type: 'image-pull-failed', message: 'image pull failed: img:1' }]);
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

test('why: an exit carries its code and last output; an OOM kill says so; a pod names the member that died first', () => {
  const a = alloc('web', 0);
  const dead = container(a, { running: false, exitCode: 3 });
  const p = run([{ alloc: a, job: job('web') }], [dead], { tails: new Map([[dead.id, 'starting\nfatal: no config']]) });
  assert.equal(p.statuses[0]!.message, 'exited with code 3; last output:\nstarting\nfatal: no config');
  assert.deepEqual(p.statuses[0]!.events, [{ at: 1000, type: 'exited', message: p.statuses[0]!.message }]);

  const oom = container(a, { running: false, exitCode: 137, oomKilled: true });
  const q = run([{ alloc: a, job: job('web') }], [oom]);
  assert.equal(q.statuses[0]!.message, 'OOM-killed: out of memory at its memory limit (exit code 137)');
  assert.equal(q.statuses[0]!.events![0]!.type, 'oom-killed');

  const b = alloc('pod', 0);
  const j = job('pod', {}, [{ name: 'web' }, { name: 'loader' }]);
  const web = container(b, { running: false, exitCode: 143, finishedAt: '2024-01-01T00:00:02.000000000Z' }, 'web');
  const loader = container(b, { running: false, exitCode: 1, finishedAt: '2024-01-01T00:00:01.000000000Z' }, 'loader');
  assert.equal(run([{ alloc: b, job: j }], [web, loader]).statuses[0]!.message, 'container loader exited with code 1');
});

test('why: a failed allocation stays failed with its reason once stopped and removed (not "stopped")', () => {
  const a = alloc('web', 0, { desired: 'stop' });
  const failed: AllocStatus = {
    allocId: a.id, state: 'failed', containerIds: ['c1'], healthy: false, message: 'exited with code 3', updatedAt: 5,
    events: [{ at: 5, type: 'exited', message: 'exited with code 3' }],
  };
  const p = run([{ alloc: a }], [], { previous: new Map([[a.id, failed]]) });
  assert.equal(p.statuses[0]!.state, 'failed');
  assert.equal(p.statuses[0]!.message, 'exited with code 3');
  assert.deepEqual(p.statuses[0]!.events, failed.events);
  assert.ok(sameStatus(failed, { ...p.statuses[0]!, containerIds: ['c1'] }), 'nothing new to write but the container ids');
  // A plain stop (scale down, job stopped) is "stopped", with an event.
  const s = run([{ alloc: a }], []).statuses[0]!;
  assert.equal(s.state, 'stopped');
  assert.equal(s.events!.at(-1)!.type, 'stopped');
});

test('health: the agent check decides healthy; its output is the reason; events on each turn', () => {
  const a = alloc('web', 0);
  const j = job('web', { health: { http: '/health', intervalMs: 1000, timeoutMs: 500 } });
  const c = container(a);
  const check = (status: CheckResult['status'], output: string, failures = 0): CheckResult => ({ status, output, at: 1, durationMs: 2, failures });
  const step = (previous: Map<string, AllocStatus>, r: CheckResult, now: number) =>
    run([{ alloc: a, job: j }], [c], { previous, checks: new Map([[a.id, r]]), now }).statuses[0]!;

  const s1 = step(new Map(), check('warning', 'no probe yet'), 1000);
  assert.equal(s1.healthy, false);
  assert.equal(s1.message, undefined);
  assert.deepEqual(s1.events!.map((e) => e.message), ['started; waiting for the health check']);
  const s2 = step(new Map([[a.id, s1]]), check('passing', 'HTTP 200 OK'), 2000);
  assert.equal(s2.healthy, true);
  assert.equal(s2.healthySince, 2000);
  assert.deepEqual(s2.check, check('passing', 'HTTP 200 OK'));
  assert.deepEqual(s2.events!.at(-1), { at: 2000, type: 'healthy', message: 'health check passing: HTTP 200 OK' });
  const s3 = step(new Map([[a.id, s2]]), check('critical', 'HTTP 500 Internal Server Error: db down', 3), 3000);
  assert.equal(s3.healthy, false);
  assert.equal(s3.message, 'health check failing: HTTP 500 Internal Server Error: db down');
  assert.deepEqual(s3.events!.at(-1), { at: 3000, type: 'unhealthy', message: s3.message });
  // Another failing probe with the same output is nothing new: no write, no event.
  const s4 = step(new Map([[a.id, s3]]), { ...check('critical', 'HTTP 500 Internal Server Error: db down', 4), at: 9, durationMs: 7 }, 4000);
  assert.ok(sameStatus(s3, s4));
  assert.equal(s4.events!.length, s3.events!.length);
  // Docker's own HEALTHCHECK (exec, or the image's) says why with its last output.
  const sick = container(a, { health: 'unhealthy', healthOutput: 'PONG expected' });
  assert.equal(run([{ alloc: a, job: job('web') }], [sick]).statuses[0]!.message, 'health check failing (HEALTHCHECK): PONG expected');
});

test('events are bounded: the last ALLOC_EVENTS_KEPT stay', () => {
  const a = alloc('web', 0);
  const j = job('web', { health: { tcp: true, intervalMs: 1000, timeoutMs: 500 } });
  const c = container(a);
  let prev = new Map<string, AllocStatus>();
  for (let i = 0; i < 30; i++) {
    const r: CheckResult = i % 2 ? { status: 'critical', output: 'refused', at: i, durationMs: 1, failures: 3 } : { status: 'passing', output: 'ok', at: i, durationMs: 1, failures: 0 };
    const s = run([{ alloc: a, job: j }], [c], { previous: prev, checks: new Map([[a.id, r]]), now: 1000 + i }).statuses[0]!;
    prev = new Map([[a.id, s]]);
  }
  const events = prev.get(a.id)!.events!;
  assert.equal(events.length, ALLOC_EVENTS_KEPT);
  assert.equal(events.at(-1)!.at, 1029);
  assert.deepEqual(events.map((e) => e.at), Array.from({ length: ALLOC_EVENTS_KEPT }, (_, i) => 1020 + i));
});
