import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RESET_AFTER_MS } from '../../src/scheduler/reconcile/backoff.js';
import type { Allocation } from '../../src/scheduler/types.js';
import { mockHosts, mockJob } from './support/fixtures.js';
import { Harness } from './support/harness.js';

const one = (h: Harness, job = 'web', ordinal = 0): Allocation => h.running(job).find((a) => a.ordinal === ordinal)!;

/**
 * Fails the replica's current allocation and returns how long its replacement was held back,
 * checking it is not placed a millisecond early and is placed on time.
 */
function crash(h: Harness, job = 'web', ordinal = 0): { delay: number; replacement: Allocation } {
  const victim = one(h, job, ordinal);
  h.report(victim.id, { state: 'failed', message: 'exit 1' });
  const first = h.process();
  assert.deepEqual(first.stop.map((a) => a.id), [victim.id]);
  let replacement = first.place.find((a) => a.ordinal === ordinal);
  let delay = 0;
  if (!replacement) {
    const d = h.evaluations.get(job)!.delayed!.find((x) => x.ordinal === ordinal)!;
    delay = d.rescheduleAt - h.now;
    h.agents();
    h.advance(delay - 1);
    assert.deepEqual(h.process().place, [], 'not a millisecond early');
    h.advance(1);
    replacement = h.process().place.find((a) => a.ordinal === ordinal);
    assert.ok(replacement, 'placed once the back-off has passed');
  }
  h.agents();
  h.advance(100);
  return { delay, replacement };
}

test('a crash-looping replica is retried with growing delays, capped at maxDelay', () => {
  const h = new Harness(mockHosts(2));
  h.submit(mockJob('web', { count: 2, reschedule: { delay: '1s', maxDelay: '10s' } }));
  h.settle();
  const delays: number[] = [];
  const carried: (number | undefined)[] = [];
  for (let i = 0; i < 7; i++) {
    const { delay, replacement } = crash(h);
    delays.push(delay);
    carried.push(replacement.previousFailures);
  }
  assert.deepEqual(delays, [0, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
  assert.deepEqual(carried, [1, 2, 3, 4, 5, 6, 7]);
  assert.equal(one(h, 'web', 1).previousFailures, undefined, 'the other replica is untouched');
  // Failed allocations are kept only until their replacement exists.
  h.settle();
  assert.equal(h.allocs.size, 2);
});

test('the delay is visible in the evaluation, and a delayed replica holds back the rollout', () => {
  const h = new Harness(mockHosts(2));
  h.submit(mockJob('web', { count: 2 }));
  h.settle();
  for (let i = 0; i < 4; i++) crash(h, 'web', 1);
  const victim = one(h, 'web', 1);
  h.report(victim.id, { state: 'failed', message: 'exit 1' });
  h.process();
  const ev = h.evaluations.get('web')!;
  assert.deepEqual(ev.delayed, [{ instance: 'web-1', ordinal: 1, failures: 5, rescheduleAt: h.now + 8_000, message: 'web-1 crash-looping: next attempt in 8s (5 failures)' }]);
  h.agents();
  h.advance(1_000);
  h.process();
  assert.deepEqual(h.evaluations.get('web')!.delayed, ev.delayed, 'no countdown: the evaluation is not rewritten every pass');
  // A new version waits: web-1 is not healthy, so the batch budget (maxParallel 1) is used up.
  h.submit(mockJob('web', { count: 2, image: 'busybox:2' }));
  const plan = h.process();
  assert.deepEqual([plan.place.length, plan.stop.length], [0, 0]);
  assert.equal(h.evaluations.get('web')!.rollout?.state, 'running');
  h.advance(7_000);
  assert.deepEqual(h.process().place.map((a) => [a.ordinal, a.jobVersion, a.previousFailures]), [[1, 2, 5]]);
});

test('a healthy run resets the count: the next failure is replaced at once', () => {
  const h = new Harness(mockHosts(1));
  h.submit(mockJob('web'));
  h.settle();
  for (let i = 0; i < 4; i++) crash(h);
  assert.equal(one(h).previousFailures, 4);
  h.advance(RESET_AFTER_MS);
  const { delay, replacement } = crash(h);
  assert.equal(delay, 0);
  assert.equal(replacement.previousFailures, 1);
  assert.equal(crash(h).delay, 1_000, 'and the next one starts the back-off from the beginning');
});

test('host-down moves are not failures: immediate, and they neither count nor erase the history', () => {
  const h = new Harness(mockHosts(2));
  h.submit(mockJob('web', { constraints: { hosts: ['host-0', 'host-1'] } }));
  h.settle();
  for (let i = 0; i < 3; i++) crash(h);
  const before = one(h);
  assert.equal(before.previousFailures, 3);
  h.setAlive(before.host, false);
  h.advance(h.graceMs);
  const plan = h.process();
  assert.deepEqual(plan.remove.map((a) => a.id), [before.id]);
  assert.equal(plan.place.length, 1, 'moved in the same pass');
  assert.equal(plan.place[0]!.previousFailures, 3);
  assert.equal(h.evaluations.get('web')!.delayed, undefined);
  h.agents();
  h.advance(100);
  assert.equal(crash(h).delay, 4_000, 'the 4th failure waits as it would have');
});

test('a replica waiting out its back-off: scale-down and job stop forget it', () => {
  const h = new Harness(mockHosts(2));
  h.submit(mockJob('web', { count: 2 }));
  h.settle();
  crash(h, 'web', 1);
  h.report(one(h, 'web', 1).id, { state: 'failed' });
  h.process();
  h.agents();
  assert.equal(h.evaluations.get('web')!.delayed?.length, 1);
  h.scale('web', 1);
  h.process();
  assert.equal(h.evaluations.get('web')!.delayed, undefined);
  assert.deepEqual([...h.allocs.values()].map((a) => a.ordinal), [0], 'the failed allocation is deleted');

  crash(h, 'web', 0);
  h.report(one(h, 'web', 0).id, { state: 'failed' });
  h.process();
  h.agents();
  h.stopJob('web');
  h.settle();
  assert.equal(h.allocs.size, 0);
});

test('global jobs: a crash-looping replica is retried on its host, same ordinal, with back-off', () => {
  const h = new Harness(mockHosts(3));
  h.submit(mockJob('agent', { global: true }));
  h.settle();
  const victim = h.running('agent').find((a) => a.host === 'host-1')!;
  const delays: number[] = [];
  for (let i = 0; i < 4; i++) {
    const { delay, replacement } = crash(h, 'agent', victim.ordinal);
    assert.equal(replacement.host, 'host-1');
    delays.push(delay);
  }
  assert.deepEqual(delays, [0, 1_000, 2_000, 4_000]);
  assert.equal(h.running('agent').length, 3);
});

test('progressDeadline fails a rollout whose new replicas never turn healthy; old ones keep running', () => {
  const h = new Harness(mockHosts(3));
  const spec = { count: 3, update: { maxParallel: 1, minHealthy: '1s', progressDeadline: '1m' } };
  h.submit(mockJob('web', spec));
  h.settle();
  h.submit(mockJob('web', { ...spec, image: 'hangs' }));
  h.process();
  h.agents({ healthy: false });
  h.advance(59_999);
  h.process();
  assert.equal(h.evaluations.get('web')!.rollout?.state, 'running');
  h.advance(1);
  const plan = h.process();
  assert.deepEqual(h.evaluations.get('web')!.rollout, {
    state: 'failed',
    message: 'rollout to version 2 made no progress for 1m: 0 of 3 replica(s) on version 2 healthy, 2 on older versions keep running',
  });
  assert.deepEqual([plan.place.length, plan.stop.length], [0, 0], 'nothing is stopped');
  for (let i = 0; i < 3; i++) {
    h.advance(60_000);
    h.process();
    h.agents({ healthy: false });
  }
  assert.equal(h.evaluations.get('web')!.rollout?.state, 'failed', 'stays failed');
  assert.deepEqual(h.running('web').map((a) => a.jobVersion), [2, 1, 1]);
});

test('progressDeadline counts from the last progress, not from the start of the rollout', () => {
  const h = new Harness(mockHosts(4));
  const spec = { count: 4, update: { maxParallel: 1, minHealthy: '10s', progressDeadline: '30s' } };
  h.submit(mockJob('web', spec));
  h.settle();
  h.submit(mockJob('web', { ...spec, image: 'slow' }));
  // Each replica takes 25 s to turn healthy: 4 × 35 s in all, but never 30 s without progress.
  for (let i = 0; i < 12; i++) {
    h.process();
    h.agents({ healthy: false });
    h.advance(25_000);
    for (const a of h.running('web')) {
      const s = h.statuses.get(a.id);
      if (s && !s.healthy) h.report(a.id, { state: 'running', healthy: true, healthySince: h.now });
    }
    h.advance(10_000);
  }
  h.process();
  assert.equal(h.evaluations.get('web')!.rollout?.state, 'complete');
  assert.deepEqual(h.running('web').map((a) => a.jobVersion), [2, 2, 2, 2]);
  // Complete stays complete: a replica crashing later is replaced, not counted against the rollout.
  h.advance(3_600_000);
  crash(h, 'web', 2);
  h.advance(60_000);
  h.process();
  assert.equal(h.evaluations.get('web')!.rollout?.state, 'complete');
});

test('progressDeadline also fails a rollout whose new version cannot be placed', () => {
  const h = new Harness(mockHosts(1, { memory: 300 }));
  const spec = { count: 2, resources: { cpu: 100, memory: 100 }, update: { progressDeadline: '20s' } };
  h.submit(mockJob('web', spec));
  h.settle();
  h.submit(mockJob('web', { ...spec, resources: { cpu: 100, memory: 250 } }));
  h.process();
  h.agents();
  h.advance(20_000);
  h.process();
  const rollout = h.evaluations.get('web')!.rollout!;
  assert.equal(rollout.state, 'failed');
  assert.match(rollout.message!, /no progress for 20s: 0 of 1 replica\(s\) on version 2 healthy, 1 on older versions keep running/);
  assert.equal(h.running('web').filter((a) => a.jobVersion === 1).length, 1);
});
