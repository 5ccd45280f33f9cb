/** The allocation view (pure): state in words, reason with the restart back-off, events, stable health. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocView, stablyHealthy } from '../../src/api/alloc-view.js';
import type { AllocStatus, Allocation, Job } from '../../src/scheduler/types.js';

const job = { name: 'web', update: { maxParallel: 1, minHealthyMs: 5_000 }, reschedule: { delayMs: 1_000, maxDelayMs: 60_000 } } as Job;
const alloc = (over: Partial<Allocation> = {}): Allocation => ({ id: 'web-0-a', job: 'web', ordinal: 0, host: 'h1', jobVersion: 1, desired: 'run', createdAt: 1, ...over });
const status = (over: Partial<AllocStatus>): AllocStatus => ({ allocId: 'web-0-a', state: 'running', containerIds: ['c'], healthy: false, updatedAt: 1, ...over });

test('states in a user\'s words', () => {
  const now = 100_000;
  assert.equal(allocView(alloc(), undefined, job, now).status, 'starting');
  assert.equal(allocView(alloc(), status({ healthy: true, healthySince: 1 }), job, now).status, 'running');
  assert.equal(allocView(alloc(), status({}), job, now).status, 'starting', 'running, its check not passed yet');
  const critical = status({ message: 'health check failing: HTTP 500', check: { status: 'critical', output: 'HTTP 500', at: 1, durationMs: 1, failures: 3 } });
  assert.equal(allocView(alloc(), critical, job, now).status, 'unhealthy');
  assert.equal(allocView(alloc(), status({ message: 'paused' }), job, now).status, 'unhealthy');
  assert.equal(allocView(alloc({ desired: 'stop' }), status({ healthy: true }), job, now).status, 'stopping');
  assert.equal(allocView(alloc({ desired: 'stop' }), status({ state: 'stopped' }), job, now).status, 'stopped');
  assert.equal(allocView(alloc({ desired: 'stop' }), status({ state: 'failed', message: 'exited with code 3' }), job, now).status, 'failed');
});

test('a failed replica waiting out its back-off says why and when it restarts', () => {
  const now = 100_000;
  const tomb = alloc({ desired: 'stop', failures: 3, rescheduleAt: now + 1_500 });
  const v = allocView(tomb, status({ state: 'failed', message: 'exited with code 3' }), job, now);
  assert.equal(v.message, 'exited with code 3 — waiting to restart: next attempt in 2s (back-off 2s after 3 failures)');
  assert.equal(v.failures, 3);
  assert.equal(v.restartAt, now + 1_500);
  assert.equal(allocView(tomb, status({ state: 'failed', message: 'x' }), job, now + 2_000).message, 'x — restarting now');
  // Not yet retired by the scheduler: its failure count is its predecessors' plus one.
  assert.equal(allocView(alloc({ previousFailures: 1 }), status({ state: 'failed' }), job, now).failures, 2);
  // Its replacement says it is one.
  assert.equal(allocView(alloc({ previousFailures: 3 }), undefined, job, now).message, 'restarted after 3 failures of this replica');
});

test('events and the last event come from the agent\'s report; health counts after minHealthy only', () => {
  const events = [{ at: 1, type: 'started' as const, message: 'started' }, { at: 2, type: 'healthy' as const, message: 'healthy' }];
  const v = allocView(alloc(), status({ healthy: true, healthySince: 10_000, events }), job, 14_999);
  assert.deepEqual(v.events, events);
  assert.deepEqual(v.lastEvent, events[1]);
  assert.equal(stablyHealthy(v, job, 14_999), false);
  assert.equal(stablyHealthy(v, job, 15_000), true);
  assert.equal(stablyHealthy({ ...v, healthy: false }, job, 99_999), false);
  assert.deepEqual(allocView(alloc(), undefined, job, 1).events, []);
});
