import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { keys } from '../../src/scheduler/types.js';
import { REDIS_YAML, instance, registerHost, seedRun, startHarness, type Harness } from '../api/helpers.js';
import { maestro, tempFile } from './helpers.js';

describe('CLI client verbs against a real API', () => {
  let h: Harness;
  let env: Record<string, string>;
  before(async () => {
    h = await startHarness();
    env = { MAESTRO_ADDR: h.base };
  });
  after(() => h.close());

  it('run --detach creates, then reports unchanged and updated', async () => {
    const file = tempFile('redis.yaml', REDIS_YAML);
    const first = await maestro(['run', file, '--detach'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /job redis created \(version 1, 3 replicas wanted\)/);
    const again = await maestro(['run', file, '-d', '--api', h.base]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /job redis unchanged/);
    const json = tempFile('web.json', JSON.stringify({ name: 'web', image: 'nginx:1', count: 2, labels: { tier: 'frontend', env: 'dev' } }));
    const web = await maestro(['run', json, '--detach', '--json'], env);
    assert.equal(web.code, 0, web.stderr);
    const out = JSON.parse(web.stdout);
    assert.equal(out.created, true);
    assert.equal(out.job.name, 'web');
  });

  it('jobs: a table for people, JSON for scripts, label selectors', async () => {
    const table = await maestro(['jobs'], env);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^NAME\s+STATE\s+HEALTHY\s+UNPLACED\s+VERSION\s+IMAGES\s+LABELS\s+AGE$/);
    assert.match(lines[1]!, /^redis\s+pending\s+0\/3\s+0\s+1\s+redis:7\s+tier=backend,env=prod\s+\d+s$/);
    assert.match(lines[2]!, /^web\s+pending\s+0\/2/);
    const names = async (...args: string[]) => {
      const r = await maestro(['jobs', '--json', ...args], env);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout).map((j: { name: string }) => j.name);
    };
    assert.deepEqual(await names(), ['redis', 'web']);
    assert.deepEqual(await names('-l', 'tier=frontend'), ['web']);
    assert.deepEqual(await names('--selector', 'env!=dev'), ['redis']);
    assert.deepEqual(await names('-l', 'env in (dev,test)'), ['web']);
  });

  it('ps, status and services show placement and health; -l filters', async () => {
    await registerHost(h.catalog, 'node-1', { disk: 'ssd' });
    await seedRun(
      h.catalog,
      'redis',
      1,
      [
        { ordinal: 0, host: 'node-1', state: 'running', healthy: true },
        { ordinal: 1, host: 'node-1', state: 'pending', healthy: false },
      ],
      [{ job: 'redis', unplaced: 1, wanted: 3, filtered: { 'hostMeta disk=hdd': 1 }, exhausted: {}, message: '1 of 3 unplaced: 1 host filtered by hostMeta disk=hdd' }],
    );
    await h.catalog.registerInstance(instance('redis', 'redis-0', 'passing', { job: 'redis', tier: 'backend' }));
    await h.catalog.registerInstance(instance('web', 'web-0', 'critical', { job: 'web', tier: 'frontend' }));

    const ps = await maestro(['ps'], env);
    assert.equal(ps.code, 0, ps.stderr);
    assert.match(ps.stdout, /^INSTANCE\s+JOB\s+HOST\s+STATE\s+HEALTHY/);
    assert.match(ps.stdout, /\nredis-0\s+redis\s+node-1\s+running\s+yes\s+1/);
    // A pending allocation is shown in a user's words: starting.
    assert.match(ps.stdout, /\nredis-1\s+redis\s+node-1\s+starting\s+no\s+1/);
    const psJson = JSON.parse((await maestro(['ps', 'redis', '--json'], env)).stdout);
    assert.deepEqual(psJson.map((a: { instance: string; healthy: boolean }) => [a.instance, a.healthy]), [
      ['redis-0', true],
      ['redis-1', false],
    ]);
    assert.equal((await maestro(['ps', '-l', 'tier=frontend'], env)).stdout.trim(), 'No replicas.');

    const status = await maestro(['status', 'redis'], env);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /State:\s+degraded: 1\/3 healthy, 1 running, 1 unplaced/);
    assert.match(status.stdout, /Unplaced:\n\s+1 of 3 unplaced: 1 host filtered by hostMeta disk=hdd/);

    const services = await maestro(['services'], env);
    assert.match(services.stdout, /^SERVICE\s+HEALTHY\s+INSTANCE\s+ADDRESS\s+HOST\s+HEALTH\s+TAGS\n/);
    assert.match(services.stdout, /redis\s+1\/1\s+redis-0\s+10\.0\.0\.1:30000\s+h1\s+passing\s+v1/);
    assert.match(services.stdout, /web\s+0\/1\s+web-0\s+.*critical/);
    const filtered = JSON.parse((await maestro(['services', '--json', '-l', 'tier=frontend'], env)).stdout);
    assert.deepEqual(filtered.map((s: { name: string }) => s.name), ['web']);

    const hosts = await maestro(['hosts'], env);
    assert.match(hosts.stdout, /^NAME\s+ADDRESS\s+STATUS\s+CPU\s+MEMORY\s+ALLOCS\s+META\n/);
    assert.match(hosts.stdout, /node-1\s+10\.0\.0\.1\s+alive\s+500\/4000m\s+512\/8192Mi\s+2\s+disk=ssd/);
  });

  it('scale, history and stop', async () => {
    const scaled = await maestro(['scale', 'web', '4'], env);
    assert.equal(scaled.code, 0, scaled.stderr);
    assert.match(scaled.stdout, /job web scaled to 4/);
    const v2 = tempFile('web.yaml', 'name: web\nimage: nginx:2\ncount: 4\nlabels: { tier: frontend, env: dev }\n');
    assert.equal((await maestro(['run', v2, '-d'], env)).code, 0);
    const history = await maestro(['history', 'web'], env);
    assert.equal(history.code, 0, history.stderr);
    assert.match(history.stdout, /^VERSION\s+SUBMITTED\s+COUNT\s+IMAGES\s+NOTE\n1\s+\S+\s+2\s+nginx:1\n2\s+\S+\s+4\s+nginx:2\n$/);
    const stop = await maestro(['stop', 'web', '--json'], env);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(JSON.parse(stop.stdout).state, 'stopped');
    const missing = await maestro(['stop', 'nope'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /error: no such job: nope/);
  });

  it('an invalid job file lists every problem, exits 2 and changes nothing', async () => {
    const before = (await h.catalog.kvGet(keys.job('redis'))).value?.modifyIndex;
    const file = tempFile('bad.yaml', 'name: redis\nimage: redis:7\ncount: -2\nports:\n  - { container: 99999 }\nbogus: 1\n');
    const r = await maestro(['run', file], env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.yaml: invalid job spec \(\d+ problems\); nothing was changed/);
    assert.match(r.stderr, /\n  count: /);
    assert.match(r.stderr, /\n  ports\[0\]\.container: /);
    assert.match(r.stderr, /\n  bogus: unknown field/);
    assert.equal((await h.catalog.kvGet(keys.job('redis'))).value?.modifyIndex, before);
    const broken = await maestro(['run', tempFile('broken.json', '{"name": "redis",')], env);
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /broken\.json: body is not valid JSON/);
  });
});
