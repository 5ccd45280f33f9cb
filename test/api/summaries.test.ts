/**
 * Job summaries kept between listings (src/api/summaries.ts) are never stale: a status write, an
 * evaluation and a record change each drop their job's summary, and time alone (a replica passing
 * `update.minHealthy`) does too — with no write at all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import { createStateView } from '../../src/view/index.js';
import { SummaryCache } from '../../src/api/summaries.js';
import { keys, type AllocStatus, type Allocation, type JobRecord } from '../../src/state/index.js';
import { eventually } from '../support/wait.js';

test('a kept summary follows status, evaluation and record changes, and minHealthy passing by', async (t) => {
  const catalog = createEmbeddedCatalog();
  const view = createStateView(catalog);
  t.after(async () => {
    await view.close();
    await catalog.close();
  });
  const now = Date.now();
  const record: JobRecord = {
    job: { name: 'web', count: 1, global: false, containers: [{ name: 'web', image: 'busybox', env: {}, ports: [], resources: { cpu: 1, memory: 1 } }], tags: [], labels: {}, constraints: {}, update: { maxParallel: 1, minHealthyMs: 10_000 }, strategy: 'spread' },
    version: 1, submittedAt: now, stopped: false,
  };
  const alloc: Allocation = { id: 'web-0-a', job: 'web', ordinal: 0, host: 'h1', jobVersion: 1, desired: 'run', createdAt: now };
  const status = (s: Partial<AllocStatus>): string => JSON.stringify({ allocId: alloc.id, state: 'running', containerIds: ['c'], healthy: false, updatedAt: now, ...s });
  await catalog.kvPut(keys.job('web'), JSON.stringify(record));
  await catalog.kvPut(keys.alloc('h1', alloc.id), JSON.stringify(alloc));
  await catalog.kvPut(keys.allocStatus('h1', alloc.id), status({}));
  await view.ready();
  await eventually(() => view.status(alloc.id), 5_000, 'the status in the view');
  const cache = new SummaryCache(view);
  const summary = (at = Date.now()) => cache.summary(view.job('web')!, at);
  assert.equal(summary().healthy, 0);
  assert.equal(summary().running, 1);

  // Healthy since now: not counted before minHealthy has passed, counted after — no write between.
  const since = Date.now();
  await catalog.kvPut(keys.allocStatus('h1', alloc.id), status({ healthy: true, healthySince: since }));
  await eventually(() => view.status(alloc.id)?.healthy, 5_000, 'the healthy status');
  assert.equal(summary(since + 1_000).healthy, 0, 'a status write drops the kept summary; not healthy long enough yet');
  assert.equal(summary(since + 10_001).healthy, 1, 'minHealthy passed: recomputed without any write');
  assert.equal(summary(since + 10_001).state, 'healthy');

  await catalog.kvPut(keys.evaluation('web'), JSON.stringify({ job: 'web', at: now, jobVersion: 1, placed: 0, stopped: 0, failures: [{ job: 'web', unplaced: 1, wanted: 2, filtered: {}, exhausted: { memory: 1 }, message: 'no room' }] }));
  await eventually(() => view.evaluation('web'), 5_000, 'the evaluation');
  assert.equal(summary(since + 10_001).unplaced, 1, 'an evaluation drops it');

  await catalog.kvPut(keys.job('web'), JSON.stringify({ ...record, job: { ...record.job, count: 3 } }));
  await eventually(() => view.job('web')?.job.count === 3, 5_000, 'the new count');
  assert.equal(summary(since + 10_001).wanted, 3, 'a record change drops it');
});
