/**
 * The view's pure core, with plain feed batches: indexes built and kept by puts and deletes, a
 * reset replacing everything, malformed records kept out of the typed indexes, what each change
 * reports (the scheduler's triggers), and an index that goes backwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FeedBatch, KvChange } from '../../src/catalog/feed/types.js';
import { ViewState } from '../../src/view/core.js';
import { keys, type AllocStatus, type Allocation, type JobRecord } from '../../src/state/index.js';

const entry = (key: string, value: unknown, index: number): KvChange => ({
  key,
  entry: { key, value: typeof value === 'string' ? value : JSON.stringify(value), createIndex: index, modifyIndex: index },
});
const batch = (index: number, kv: KvChange[], reset = false): FeedBatch => ({ index, reset, kv, hosts: [], instances: [] });
const job = (name: string, labels: Record<string, string> = {}): JobRecord =>
  ({ job: { name, count: 1, global: false, containers: [], tags: [], labels, constraints: {}, update: { maxParallel: 1, minHealthyMs: 0 }, strategy: 'spread' }, version: 1, submittedAt: 1, stopped: false }) as JobRecord;
const alloc = (job: string, ordinal: number, host: string): Allocation => ({ id: `${job}-${ordinal}-x`, job, ordinal, host, jobVersion: 1, desired: 'run', createdAt: 1 });
const status = (a: Allocation, state: AllocStatus['state']): AllocStatus => ({ allocId: a.id, state, containerIds: [], healthy: state === 'running', updatedAt: 1 });

test('puts build the indexes, deletes take entries out of every index', () => {
  const v = new ViewState();
  const [a0, a1, b0] = [alloc('a', 0, 'h1'), alloc('a', 1, 'h2'), alloc('b', 0, 'h1')];
  v.apply(batch(10, [entry(keys.job('a'), job('a', { tier: 'web' }), 10), entry(keys.job('b'), job('b'), 10), ...[a0, a1, b0].map((x) => entry(keys.alloc(x.host, x.id), x, 10))], true));
  assert.deepEqual(v.jobList().map((r) => r.job.name), ['a', 'b']);
  assert.deepEqual(v.allocsByJob.list('a').map((x) => x.id).sort(), [a0.id, a1.id]);
  assert.deepEqual(v.allocsByHost.list('h1').map((x) => x.id).sort(), [a0.id, b0.id]);
  assert.deepEqual(v.jobsByLabel.list('tier=web'), ['a']);

  const c = v.apply(batch(11, [entry(keys.allocStatus('h1', a0.id), status(a0, 'running'), 11), { key: keys.alloc('h2', a1.id) }]));
  assert.equal(v.index, 11);
  assert.deepEqual([...c.allocJobs], ['a'], 'a status and an allocation of job a changed');
  assert.deepEqual([...c.jobs], []);
  assert.deepEqual(v.allocsByJob.list('a').map((x) => x.id), [a0.id]);
  assert.deepEqual(v.allocsByHost.list('h2'), []);
  assert.deepEqual(v.idsByState.list('running'), [a0.id]);
  assert.equal(v.kv.get(keys.alloc('h2', a1.id)), undefined);

  const relabel = v.apply(batch(12, [entry(keys.job('a'), job('a', { tier: 'db' }), 12)]));
  assert.deepEqual([...relabel.jobs], ['a']);
  assert.deepEqual(v.jobsByLabel.list('tier=web'), []);
  assert.deepEqual(v.jobsByLabel.list('tier=db'), ['a']);
});

test('an evaluation changes no job in the change set (the scheduler writes them itself), but its key is reported', () => {
  const v = new ViewState();
  const c = v.apply(batch(5, [entry(keys.evaluation('a'), { job: 'a', at: 1, jobVersion: 1, placed: 1, stopped: 0, failures: [] }, 5)]));
  assert.deepEqual([...c.jobs], []);
  assert.deepEqual([...c.keys], [keys.evaluation('a')]);
  assert.equal(v.evals.get('a')?.placed, 1);
});

test('malformed records stay out of the typed indexes (kept as raw KV) and replace a good one', () => {
  const v = new ViewState();
  v.apply(batch(3, [entry(keys.job('a'), job('a'), 3)], true));
  v.apply(batch(4, [entry(keys.job('a'), '{not json', 4), entry(keys.alloc('h1', 'x'), { id: 'other', job: 'a', host: 'h1', ordinal: 0 }, 4), entry(keys.job('b'), job('c'), 4)]));
  assert.equal(v.jobs.size, 0, 'unparsable and misnamed jobs are absent');
  assert.equal(v.allocs.size, 0, 'an allocation whose id is not its key is absent');
  assert.equal(v.kv.get(keys.job('a'))?.value, '{not json');
});

test('a reset replaces everything, and may take the index backwards', () => {
  const v = new ViewState();
  v.apply(batch(50, [entry(keys.job('a'), job('a'), 50), entry('maestro/alloc-claims/a/0', 'x', 50)], true));
  v.apply({ index: 51, reset: false, kv: [], hosts: [{ name: 'h1', host: { name: 'h1', address: 'a', meta: {}, capacity: { cpu: 1, memory: 1 }, alive: true } }], instances: [] });
  const c = v.apply(batch(7, [entry(keys.job('b'), job('b'), 7)], true));
  assert.equal(c.reset, true);
  assert.equal(v.index, 7);
  assert.deepEqual(v.jobList().map((r) => r.job.name), ['b']);
  assert.equal(v.hosts.size, 0);
  assert.deepEqual(v.kv.prefix('maestro/alloc-claims/'), []);
  assert.equal(c.jobs.size + c.keys.size + c.hosts.size, 0, 'a reset says "everything", not a list');
});

test('kv prefixes walk directories, in key order, and never list a neighbour', () => {
  const v = new ViewState();
  const kv = ['maestro/volume-homes/web/1', 'maestro/volume-homes/web/0', 'maestro/volume-homes/webx/0', 'maestro/volume-homes/db/0', 'maestro/volume-homesick'];
  v.apply(batch(2, kv.map((k) => entry(k, 'v', 2)), true));
  assert.deepEqual(v.kv.prefix('maestro/volume-homes/web/').map((e) => e.key), ['maestro/volume-homes/web/0', 'maestro/volume-homes/web/1']);
  assert.deepEqual(v.kv.prefix('maestro/volume-homes/').map((e) => e.key), ['maestro/volume-homes/db/0', 'maestro/volume-homes/web/0', 'maestro/volume-homes/web/1', 'maestro/volume-homes/webx/0']);
  assert.deepEqual(v.kv.prefix('maestro/volume-homes/we').map((e) => e.key).length, 3);
  assert.equal(v.kv.prefix('maestro/').length, kv.length);
});

test('instances are indexed by service and move between services', () => {
  const v = new ViewState();
  const i = { id: 'h1:c:80', service: 'web', name: 'web-0', host: 'h1', address: '127.0.0.1', port: 80, tags: [], meta: {}, health: 'passing' as const };
  v.apply({ index: 2, reset: true, kv: [], hosts: [], instances: [{ id: i.id, instance: i }] });
  const c = v.apply({ index: 3, reset: false, kv: [], hosts: [], instances: [{ id: i.id, instance: { ...i, service: 'api' } }] });
  assert.deepEqual([...c.services].sort(), ['api', 'web']);
  assert.deepEqual(v.instancesByService.list('web'), []);
  assert.equal(v.instancesByService.list('api').length, 1);
  assert.equal(v.instanceList().length, 1);
});
