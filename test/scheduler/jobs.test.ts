import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import { getJob, jobHistory, jobStatus, listJobs, scaleJob, stopJob, submitJob } from '../../src/scheduler/jobs.js';
import { keys } from '../../src/scheduler/types.js';
import { mockJob } from './support/fixtures.js';

test('job store: versions only when what runs changes; scale and stop keep history', async (t) => {
  const catalog = createEmbeddedCatalog();
  t.after(() => catalog.close());
  const first = await submitJob(catalog, mockJob('web', { count: 2 }));
  assert.deepEqual([first.record.version, first.created, first.changed], [1, true, true]);
  const same = await submitJob(catalog, mockJob('web', { count: 5 }));
  assert.deepEqual([same.record.version, same.created, same.changed, same.record.job.count], [1, false, false, 5]);
  const v2 = await submitJob(catalog, mockJob('web', { count: 5, image: 'busybox:2' }));
  assert.equal(v2.record.version, 2);

  const scaled = await scaleJob(catalog, 'web', 1);
  assert.deepEqual([scaled.version, scaled.job.count], [2, 1]);
  const stopped = await stopJob(catalog, 'web');
  assert.equal(stopped.stopped, true);
  assert.equal((await getJob(catalog, 'web'))?.stopped, true);
  const again = await submitJob(catalog, mockJob('web', { count: 5, image: 'busybox:2' }));
  assert.deepEqual([again.record.version, again.created, again.record.stopped], [2, true, false]);

  const history = await jobHistory(catalog, 'web');
  assert.deepEqual(history.map((r) => [r.version, r.job.containers[0]!.image]), [[1, 'busybox'], [2, 'busybox:2']]);
  assert.deepEqual((await listJobs(catalog)).map((r) => r.job.name), ['web']);

  await assert.rejects(scaleJob(catalog, 'nope', 1), { code: 'not_found' });
  await assert.rejects(scaleJob(catalog, 'web', -1), { code: 'bad_request' });
  await submitJob(catalog, mockJob('agent', { global: true }));
  await assert.rejects(scaleJob(catalog, 'agent', 3), { code: 'bad_request' });
  await assert.rejects(jobHistory(catalog, 'nope'), { code: 'not_found' });
});

test('job status joins allocations, their statuses and the evaluation', async (t) => {
  const catalog = createEmbeddedCatalog();
  t.after(() => catalog.close());
  await submitJob(catalog, mockJob('web', { count: 1 }));
  const alloc = { id: 'web-0-abc', job: 'web', ordinal: 0, host: 'h1', jobVersion: 1, desired: 'run', createdAt: 1 };
  await catalog.kvPut(keys.alloc('h1', alloc.id), JSON.stringify(alloc));
  await catalog.kvPut(keys.alloc('h1', 'other-0-x'), JSON.stringify({ ...alloc, id: 'other-0-x', job: 'other' }));
  const status = { allocId: alloc.id, state: 'running', containerIds: ['c1'], healthy: true, updatedAt: 2 };
  await catalog.kvPut(keys.allocStatus('h1', alloc.id), JSON.stringify(status));
  const ev = { job: 'web', at: 3, jobVersion: 1, placed: 1, stopped: 0, failures: [] };
  await catalog.kvPut(keys.evaluation('web'), JSON.stringify(ev));
  const s = await jobStatus(catalog, 'web');
  assert.deepEqual(s.allocations, [{ allocation: alloc, status }]);
  assert.deepEqual(s.evaluation, ev);
  await assert.rejects(jobStatus(catalog, 'nope'), { code: 'not_found' });
});
