/**
 * Blocking queries, pagination and filters (src/api/README.md), against a real API server over the
 * embedded store with a real state view: a held request answers on the change it waits for and not
 * before, runs out to the same index, is released when its client goes, is capped per client with a
 * clear 429; pages follow tokens without repeats; filters narrow; writes are read back (even when the
 * view's feed lags); malformed parameters are clear 400s.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import type { Catalog } from '../../src/catalog/types.js';
import type { FeedBatch, FollowOptions } from '../../src/catalog/feed/types.js';
import { startApi } from '../../src/api/index.js';
import { silentLogger } from '../../src/log/index.js';
import { createStateView } from '../../src/view/index.js';
import { eventually } from '../support/wait.js';
import { REDIS_YAML, call, registerHost, seedRun } from './helpers.js';

async function harness(t: { after(fn: () => Promise<void>): void }, opts: { catalog?: Catalog; blocking?: { perClient: number; total: number } } = {}) {
  const catalog = opts.catalog ?? createEmbeddedCatalog();
  const view = createStateView(catalog);
  const api = await startApi({ catalog, view, addr: { host: '127.0.0.1', port: 0 }, logger: silentLogger, processMetrics: false, ...(opts.blocking ? { blocking: opts.blocking } : {}) });
  t.after(async () => {
    await api.stop(100);
    await view.close();
    await catalog.close();
  });
  return { catalog, view, base: `http://127.0.0.1:${api.address().port}` };
}

const indexOf = (r: { headers: Headers }) => Number(r.headers.get('x-maestro-index'));

test('a blocking query is held until the view passes its index, then answers with the change', async (t) => {
  const h = await harness(t);
  await registerHost(h.catalog, 'h1');
  const first = await call(h.base, 'GET', '/v1/jobs');
  const index = indexOf(first);
  assert.ok(index > 0, 'every listing carries X-Maestro-Index');
  let answered = false;
  const held = call(h.base, 'GET', `/v1/jobs?index=${index}&wait=30s`).then((r) => ((answered = true), r));
  await eventually(() => h.view.blocked === 1, 5_000, 'the request to be held');
  assert.equal(answered, false, 'nothing changed yet: still held');
  await call(h.base, 'POST', '/v1/jobs', REDIS_YAML);
  const r = await held;
  assert.equal(r.status, 200);
  assert.ok(indexOf(r) > index);
  assert.deepEqual(r.json.jobs.map((j: { name: string }) => j.name), ['redis']);
  assert.equal(h.view.blocked, 0);
});

test('without a change it returns after `wait` with the same index; a client that goes releases its wait', async (t) => {
  const h = await harness(t);
  const index = indexOf(await call(h.base, 'GET', '/v1/hosts'));
  const quiet = await call(h.base, 'GET', `/v1/hosts?index=${index}&wait=300ms`);
  assert.equal(quiet.status, 200);
  assert.equal(indexOf(quiet), index);

  const ac = new AbortController();
  const gone = fetch(`${h.base}/v1/hosts?index=${index}&wait=5m`, { signal: ac.signal }).catch((e: Error) => e);
  await eventually(() => h.view.blocked === 1, 5_000, 'the request to be held');
  ac.abort();
  await gone;
  await eventually(() => h.view.blocked === 0, 5_000, 'the wait released on disconnect');
});

test('blocking queries are capped per client: the one beyond gets 429 too_many_requests', async (t) => {
  const h = await harness(t, { blocking: { perClient: 2, total: 10 } });
  const index = indexOf(await call(h.base, 'GET', '/v1/services'));
  const acs = [new AbortController(), new AbortController()];
  const pending = acs.map((ac) => fetch(`${h.base}/v1/services?index=${index}&wait=1m`, { signal: ac.signal }).catch((e: Error) => e));
  await eventually(() => h.view.blocked === 2, 5_000, 'two held');
  const third = await call(h.base, 'GET', `/v1/services?index=${index}&wait=1m`);
  assert.equal(third.status, 429);
  assert.equal(third.json.error.code, 'too_many_requests');
  assert.equal(third.headers.get('retry-after'), '1');
  const plain = await call(h.base, 'GET', '/v1/services');
  assert.equal(plain.status, 200, 'a read that does not block is never refused');
  for (const ac of acs) ac.abort();
  await Promise.all(pending);
  await eventually(() => h.view.blocked === 0, 5_000, 'released');
});

test('pages follow X-Maestro-Next tokens: every job once, in order, and the last page has no token', async (t) => {
  const h = await harness(t);
  const names = ['a1', 'b2', 'c3', 'd4', 'e5'];
  for (const n of names) await call(h.base, 'POST', '/v1/jobs', REDIS_YAML.replace('name: redis', `name: ${n}`));
  const seen: string[] = [];
  let next: string | null = null;
  let pages = 0;
  do {
    const r = await call(h.base, 'GET', `/v1/jobs?limit=2${next ? `&next=${next}` : ''}`);
    assert.equal(r.status, 200);
    assert.ok(r.json.jobs.length <= 2);
    seen.push(...r.json.jobs.map((j: { name: string }) => j.name));
    next = r.headers.get('x-maestro-next');
    pages++;
  } while (next && pages < 10);
  assert.deepEqual(seen, names);
  assert.equal(pages, 3);
  const selected = await call(h.base, 'GET', '/v1/jobs?selector=tier%3Dbackend&limit=100');
  assert.equal(selected.json.jobs.length, names.length, 'the label index answers equality selectors');
  assert.equal((await call(h.base, 'GET', '/v1/jobs?selector=tier%3Dfrontend')).json.jobs.length, 0);
});

test('allocation filters: job, host and state narrow the listing, alone and together', async (t) => {
  const h = await harness(t);
  await call(h.base, 'POST', '/v1/jobs', REDIS_YAML);
  await seedRun(h.catalog, 'redis', 1, [
    { ordinal: 0, host: 'h1', state: 'running', healthy: true },
    { ordinal: 1, host: 'h2', state: 'running', healthy: true },
    { ordinal: 2, host: 'h1', state: 'failed', healthy: false },
  ]);
  await eventually(async () => (await call(h.base, 'GET', '/v1/allocations')).json.allocations.length === 3, 5_000, 'the seeded allocations');
  const ids = async (q: string) => (await call(h.base, 'GET', `/v1/allocations?${q}`)).json.allocations.map((a: { instance: string }) => a.instance);
  assert.deepEqual(await ids('host=h1'), ['redis-0', 'redis-2']);
  assert.deepEqual(await ids('state=running'), ['redis-0', 'redis-1']);
  assert.deepEqual(await ids('host=h1&state=running'), ['redis-0']);
  assert.deepEqual(await ids('job=redis&state=failed'), ['redis-2']);
  assert.deepEqual(await ids('job=redis&limit=2'), ['redis-0', 'redis-1']);
  assert.deepEqual(await ids('state=pending'), []);
  assert.equal((await call(h.base, 'GET', '/v1/allocations?job=nope')).status, 404);
});

test('malformed blocking and paging parameters are clear 400s', async (t) => {
  const h = await harness(t);
  for (const q of ['index=abc', 'index=-1', 'index=1e3', 'wait=forever', 'wait=10', 'limit=0', 'limit=x', 'limit=100001', 'next=%00%01', 'next=', 'state=sleeping']) {
    const path = q.startsWith('state') ? `/v1/allocations?${q}` : `/v1/jobs?${q}`;
    const r = await call(h.base, 'GET', path);
    assert.equal(r.status, 400, `${q} → ${r.status} ${r.text}`);
    assert.equal(r.json.error.code, 'bad_request');
  }
});

test('read-your-writes: a write answers with its own result even when the view lags behind the store', async (t) => {
  // The view's feed is delayed by 300 ms: without waiting for the write, the answer would be a 404.
  const real = createEmbeddedCatalog();
  const slow = Object.create(real) as Catalog;
  slow.follow = (opts: FollowOptions, onBatch: (b: FeedBatch) => void) => real.follow!(opts, (b) => void setTimeout(() => onBatch(b), 300));
  const h = await harness(t, { catalog: slow });
  await h.view.ready();
  const created = await call(h.base, 'POST', '/v1/jobs', REDIS_YAML);
  assert.equal(created.status, 201, created.text);
  assert.equal(created.json.job.name, 'redis');
  const scaled = await call(h.base, 'POST', '/v1/jobs/redis/scale', '{"count":5}', { 'content-type': 'application/json' });
  assert.equal(scaled.json.job.wanted, 5, 'the scale is read back, not the state before it');
});

test('before the view has synced once (catalog unreachable at start), reads answer 503 within a bound instead of hanging', async (t) => {
  const real = createEmbeddedCatalog();
  const mute = Object.create(real) as Catalog;
  // A feed that never delivers: what a catalog that cannot be reached looks like to the view.
  mute.follow = (opts: FollowOptions) => new Promise<void>((resolve) => opts.signal.addEventListener('abort', () => resolve(), { once: true }));
  const view = createStateView(mute);
  const api = await startApi({ catalog: mute, view, addr: { host: '127.0.0.1', port: 0 }, logger: silentLogger, processMetrics: false, blocking: { perClient: 64, total: 64, syncWaitMs: 200 } });
  t.after(async () => {
    await api.stop(100);
    await view.close();
    await real.close();
  });
  const r = await call(`http://127.0.0.1:${api.address().port}`, 'GET', '/v1/jobs');
  assert.equal(r.status, 503);
  assert.equal(r.json.error.code, 'unavailable');
  assert.match(r.json.error.message, /not synced/);
});
