/**
 * `GET /v1/map`, the web UI's compact map, against a real API: judged by the full listings it
 * replaces (`/v1/hosts` and `/v1/allocations` are the oracle: the same hosts, and for every replica
 * on the map the same host, instance, status and message), blocking like every listing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { keys } from '../../src/state/index.js';
import { seedRun, startHarness, type Harness } from '../api/helpers.js';

interface Json { [k: string]: any }
async function get(base: string, path: string): Promise<{ json: Json; index: string | null; status: number }> {
  const res = await fetch(base + path);
  return { json: (await res.json()) as Json, index: res.headers.get('x-maestro-index'), status: res.status };
}

describe('GET /v1/map', () => {
  let h: Harness;
  let base: string;
  before(async () => {
    h = await startHarness();
    base = `http://127.0.0.1:${h.api.address().port}`;
    for (const name of ['n1', 'n2']) {
      const session = await h.catalog.createSession({ name: `host-${name}`, ttlMs: 60_000 });
      await h.catalog.registerHost({ name, address: '10.0.0.1', meta: { zone: 'a' }, capacity: { cpu: 1000, memory: 1000 } }, session);
    }
    await h.catalog.kvPut(keys.job('web'), JSON.stringify({ job: { name: 'web', count: 3, containers: [{ name: 'web', image: 'x', resources: { cpu: 100, memory: 64 } }], labels: {}, update: {} }, version: 1, submittedAt: 0, stopped: false }));
    await seedRun(h.catalog, 'web', 1, [
      { ordinal: 0, host: 'n1', state: 'running', healthy: true },
      { ordinal: 1, host: 'n2', state: 'failed', healthy: false },
      { ordinal: 2, host: 'gone', state: 'running', healthy: false },
    ]);
    // A replica stopped and no longer wanted: history, not on the map (but in /v1/allocations).
    const [old] = await seedRun(h.catalog, 'web', 0, [{ ordinal: 3, host: 'n1', state: 'stopped', healthy: false }]);
    await h.catalog.kvPut(keys.alloc('n1', old!.id), JSON.stringify({ ...old, desired: 'stop' }));
  });
  after(() => h.close());

  it('has the hosts of /v1/hosts and, per replica on the map, what /v1/allocations says of it', async () => {
    // Wait for the view to hold every write (the index only grows).
    let map = await get(base, '/v1/map');
    for (let i = 0; map.json.replicas.length < 3 && i < 50; i++) map = await get(base, `/v1/map?index=${map.index}&wait=1s`);
    const hosts = await get(base, '/v1/hosts');
    const allocs = await get(base, '/v1/allocations');
    assert.equal(map.status, 200);
    assert.match(map.index ?? '', /^\d+$/);
    assert.deepEqual(map.json.hosts, hosts.json.hosts);
    const oracle = allocs.json.allocations
      .filter((a: Json) => a.desired === 'run' || a.status !== 'stopped')
      .map((a: Json) => (a.message ? [a.host, a.job, a.instance, a.id, a.status, a.message] : [a.host, a.job, a.instance, a.id, a.status]));
    assert.equal(oracle.length, 3);
    assert.equal(allocs.json.allocations.length, 4, 'the stopped replica is in the full listing');
    const key = (r: string[]) => r[3]!;
    assert.deepEqual([...map.json.replicas].sort((a, b) => key(a).localeCompare(key(b))), oracle.sort((a: string[], b: string[]) => key(a).localeCompare(key(b))));
    assert.ok(Buffer.byteLength(JSON.stringify(map.json.replicas)) < Buffer.byteLength(JSON.stringify(allocs.json.allocations)) / 2, 'compact');

  });

  it('blocks until the cluster changes, then answers with the change', async () => {
    const first = await get(base, '/v1/map');
    const waiting = get(base, `/v1/map?index=${first.index}&wait=30s`);
    await seedRun(h.catalog, 'web', 2, [{ ordinal: 4, host: 'n2', state: 'running', healthy: true }]);
    const next = await waiting;
    assert.ok(Number(next.index) > Number(first.index));
    assert.ok(next.json.replicas.some((r: string[]) => r[2] === 'web-4' && r[0] === 'n2'));
  });

  it('sends the rows in the order the page shows them (host, job, instance, id), whatever order they were written in', async () => {
    // Jobs "web-1" (replica web-1-0, id web-1-0-x1) and "web" (web-10, id web-10-x1) on one host:
    // written in that order and by id web-1 comes first; by job, web does.
    const first = await get(base, '/v1/map');
    const waiting = get(base, `/v1/map?index=${first.index}&wait=30s`);
    await seedRun(h.catalog, 'web-1', 1, [{ ordinal: 0, host: 'n1', state: 'running', healthy: true }]);
    await seedRun(h.catalog, 'web', 1, [{ ordinal: 10, host: 'n1', state: 'running', healthy: true }]);
    let answer = await waiting;
    for (let i = 0; !answer.json.replicas.some((r: string[]) => r[2] === 'web-10') && i < 50; i++) answer = await get(base, `/v1/map?index=${answer.index}&wait=1s`);
    const map = answer.json;
    const order = map.replicas.map((r: string[]) => r.slice(0, 4).join('\u0000'));
    assert.ok(order.length >= 5 && map.replicas.some((r: string[]) => r[2] === 'web-10'));
    assert.deepEqual(order, [...order].sort());
  });

  it('answers a bad index with 400, not a crash', async () => {
    const r = await get(base, '/v1/map?index=abc');
    assert.equal(r.status, 400);
    assert.equal(r.json.error.code, 'bad_request');
  });
});
