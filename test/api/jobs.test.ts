import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { keys } from '../../src/scheduler/types.js';
import { REDIS_YAML, call, registerHost, seedRun, startHarness, type Harness } from './helpers.js';

const JSON_TYPE = { 'content-type': 'application/json' };

describe('API jobs', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it('creates a job from YAML (201), then an unchanged resubmit is 200 with the same version', async () => {
    const created = await call(h.base, 'POST', '/v1/jobs', REDIS_YAML, { 'content-type': 'application/yaml' });
    assert.equal(created.status, 201);
    assert.equal(created.json.created, true);
    assert.equal(created.json.job.name, 'redis');
    assert.equal(created.json.job.version, 1);
    assert.equal(created.json.job.wanted, 3);
    assert.equal(created.json.job.state, 'pending');
    assert.deepEqual(created.json.job.images, ['redis:7']);
    const again = await call(h.base, 'POST', '/v1/jobs', REDIS_YAML);
    assert.equal(again.status, 200);
    assert.equal(again.json.created, false);
    assert.equal(again.json.job.version, 1);
  });

  it('accepts JSON specs and lists jobs with label selectors', async () => {
    const spec = { name: 'web', image: 'nginx:1', count: 2, labels: { tier: 'frontend', env: 'dev' } };
    const res = await call(h.base, 'POST', '/v1/jobs', JSON.stringify(spec), { 'content-type': 'application/json' });
    assert.equal(res.status, 201);
    const all = await call(h.base, 'GET', '/v1/jobs');
    assert.deepEqual(all.json.jobs.map((j: any) => j.name), ['redis', 'web']);
    const sel = async (s: string) =>
      (await call(h.base, 'GET', `/v1/jobs?selector=${encodeURIComponent(s)}`)).json.jobs.map((j: any) => j.name);
    assert.deepEqual(await sel('tier=frontend'), ['web']);
    assert.deepEqual(await sel('env!=dev'), ['redis']);
    assert.deepEqual(await sel('tier in (frontend,backend),!missing'), ['redis', 'web']);
    assert.deepEqual(await sel('missing'), []);
    const bad = await call(h.base, 'GET', `/v1/jobs?selector=${encodeURIComponent('tier in (a')}`);
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'bad_request');
  });

  it('shows status: allocations, health and the reason for unplaced replicas', async () => {
    await registerHost(h.catalog, 'h1');
    await seedRun(
      h.catalog,
      'redis',
      1,
      [
        { ordinal: 0, host: 'h1', state: 'running', healthy: true },
        { ordinal: 1, host: 'h1', state: 'running', healthy: false },
      ],
      [{ job: 'redis', unplaced: 1, wanted: 3, filtered: { 'hostMeta disk=ssd': 4 }, exhausted: {}, message: '1 of 3 unplaced: 4 hosts filtered by hostMeta disk=ssd' }],
    );
    const res = await call(h.base, 'GET', '/v1/jobs/redis');
    assert.equal(res.status, 200);
    const job = res.json.job;
    assert.equal(job.state, 'degraded');
    assert.equal(job.running, 2);
    assert.equal(job.healthy, 1);
    assert.equal(job.unplaced, 1);
    assert.deepEqual(job.allocations.map((a: any) => [a.instance, a.host, a.state, a.healthy]), [
      ['redis-0', 'h1', 'running', true],
      ['redis-1', 'h1', 'running', false],
    ]);
    assert.match(job.unplacedReasons[0].message, /hostMeta disk=ssd/);

    const ps = await call(h.base, 'GET', '/v1/allocations?selector=tier%3Dbackend');
    assert.deepEqual(ps.json.allocations.map((a: any) => a.instance), ['redis-0', 'redis-1']);
    assert.deepEqual((await call(h.base, 'GET', '/v1/allocations?selector=tier%3Dfrontend')).json.allocations, []);
    assert.equal((await call(h.base, 'GET', '/v1/allocations?job=nope')).status, 404);
  });

  it('scales, keeps history across versions, and stops', async () => {
    const scaled = await call(h.base, 'POST', '/v1/jobs/redis/scale', JSON.stringify({ count: 5 }), JSON_TYPE);
    assert.equal(scaled.status, 200);
    assert.equal(scaled.json.job.wanted, 5);
    assert.equal(scaled.json.job.version, 1, 'scaling is not a new version');

    const v2 = await call(h.base, 'POST', '/v1/jobs', REDIS_YAML.replace('redis:7', 'redis:7.2'));
    assert.equal(v2.json.job.version, 2);
    const history = await call(h.base, 'GET', '/v1/jobs/redis/history');
    assert.equal(history.status, 200);
    assert.deepEqual(history.json.versions.map((v: any) => [v.version, v.job.containers[0].image]), [
      [1, 'redis:7'],
      [2, 'redis:7.2'],
    ]);

    const stopped = await call(h.base, 'DELETE', '/v1/jobs/web');
    assert.equal(stopped.status, 200);
    assert.equal(stopped.json.job.state, 'stopped');
    assert.equal(stopped.json.job.wanted, 0);
  });

  it('rejects an invalid spec with every problem and changes nothing', async () => {
    const before = await h.catalog.kvGet(keys.job('redis'));
    const res = await call(h.base, 'POST', '/v1/jobs', 'name: redis\ncount: -1\nimage: ""\n');
    assert.equal(res.status, 400);
    assert.equal(res.json.error.code, 'invalid_spec');
    const paths = res.json.error.details.problems.map((p: any) => p.path).sort();
    assert.ok(paths.includes('count') && paths.includes('image'), JSON.stringify(paths));
    const afterwards = await h.catalog.kvGet(keys.job('redis'));
    assert.equal(afterwards.value?.modifyIndex, before.value?.modifyIndex);
  });

  it('answers bad input with JSON errors and stable codes', async () => {
    const cases: [string, string, string | undefined, Record<string, string>, number, string][] = [
      ['POST', '/v1/jobs', '{"name": "x",', { 'content-type': 'application/json' }, 400, 'bad_request'],
      ['POST', '/v1/jobs', '', {}, 400, 'bad_request'],
      ['POST', '/v1/jobs/redis/scale', 'not json', JSON_TYPE, 400, 'bad_request'],
      ['POST', '/v1/jobs/redis/scale', '{"count": "3"}', JSON_TYPE, 400, 'bad_request'],
      ['POST', '/v1/jobs/redis/scale', '[1]', JSON_TYPE, 400, 'bad_request'],
      ['POST', '/v1/jobs/redis/scale', '{"count": 1}', {}, 415, 'unsupported_media_type'],
      ['POST', '/v1/jobs/nope/scale', '{"count": 1}', JSON_TYPE, 404, 'not_found'],
      ['GET', '/v1/jobs/nope', undefined, {}, 404, 'not_found'],
      ['DELETE', '/v1/jobs/nope', undefined, {}, 404, 'not_found'],
      ['GET', '/v1/jobs/nope/history', undefined, {}, 404, 'not_found'],
      ['GET', '/v1/nothing', undefined, {}, 404, 'not_found'],
      ['PUT', '/v1/jobs', 'x', {}, 405, 'method_not_allowed'],
      ['GET', '/v1/jobs/%E0%A4%A', undefined, {}, 400, 'bad_request'],
    ];
    for (const [method, path, body, headers, status, code] of cases) {
      const res = await call(h.base, method, path, body, headers);
      assert.equal(res.status, status, `${method} ${path}: ${res.text}`);
      assert.equal(res.json.error.code, code, `${method} ${path}`);
      assert.equal(typeof res.json.error.message, 'string');
    }
    const big = await call(h.base, 'POST', '/v1/jobs', 'x'.repeat(2 << 20));
    assert.equal(big.status, 413);
    assert.equal(big.json.error.code, 'payload_too_large');
    assert.equal((await call(h.base, 'GET', '/healthz')).status, 200, 'still serving');
  });
});
