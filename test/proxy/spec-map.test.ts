/**
 * The shared, never-mutated maps of the route spec and the live table (spec-map.ts): the same
 * answers as a Map under random updates, and copy-on-write — a spec or table a reader holds is not
 * changed by any later update.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ShardedMap } from '../../src/proxy/spec-map.js';
import { buildRouteSpec } from '../../src/proxy/spec.js';
import { updateRouteSpec } from '../../src/proxy/spec-update.js';
import { RouteRegistry } from '../../src/proxy/table.js';
import { Sweeper } from '../../src/proxy/sweep.js';
import { inst } from './helpers.js';

/** Deterministic pseudo-random numbers (a failure replays). */
function rng(seed: number): () => number {
  return () => ((seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32);
}

const contents = <V>(m: ReadonlyMap<string, V>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

test('sharded map: same answers as a Map through growth, re-sharding and shrinking; every older version intact', () => {
  const next = rng(16);
  let map = ShardedMap.of<number>();
  const model = new Map<string, number>();
  const versions: [ShardedMap<number>, [string, number][]][] = [];
  for (let round = 0; round < 600; round++) {
    // Grow to ~3,000 keys (several re-shardings), then shrink back to a few (re-sharding down).
    const growing = round < 300;
    const updates: [string, number | undefined][] = [];
    for (let k = 0; k < 20; k++) {
      const key = `svc${Math.floor(next() * (growing ? 4_000 : 300))}`;
      const value = growing || next() < 0.1 ? Math.floor(next() * 1_000) : undefined;
      updates.push([key, value]);
      if (value === undefined) model.delete(key);
      else model.set(key, value);
    }
    if (!growing) for (const key of [...model.keys()].slice(0, 15)) (updates.push([key, undefined]), model.delete(key));
    map = map.with(updates);
    assert.equal(map.size, model.size);
    for (const [key, value] of model) assert.equal(map.get(key), value);
    assert.equal(map.has('absent'), false);
    if (round % 50 === 0) versions.push([map, contents(model)]);
  }
  assert.ok(versions.some(([m]) => m.size > 2_500) && map.size < 300, `grew past 2,500 keys and shrank back (${map.size} at the end)`);
  assert.deepEqual(contents(map), contents(model));
  assert.equal([...map.keys()].length, map.size);
  for (const [old, seen] of versions) assert.deepEqual(contents(old), seen, 'a version held by a reader is never changed');
});

test('sharded map: an update that changes nothing returns the same map; deletes of absent keys are no-ops', () => {
  const map = ShardedMap.of([['a', 1], ['b', 2]]);
  assert.equal(map.with([['a', 1], ['zzz', undefined]]), map);
  const later = map.with([['a', 1], ['b', undefined], ['b', 3]]);
  assert.deepEqual(contents(later), [['a', 1], ['b', 3]]);
  assert.deepEqual(contents(map), [['a', 1], ['b', 2]]);
  const seen: string[] = [];
  later.forEach((v, k, m) => (seen.push(`${k}=${v}`), assert.equal(m, later)));
  assert.deepEqual(seen.sort(), ['a=1', 'b=3']);
});

const POOL = { connections: 1, connectTimeoutMs: 1, headersTimeoutMs: 1, idleTimeoutMs: 1, keepAliveMs: 1, sweeper: new Sweeper(1_000) };

test('copy-on-write: a route spec and a live table held by a reader keep their services and hosts through later updates', async () => {
  const snapshot = Array.from({ length: 3_000 }, (_, i) => inst(`svc${i % 1_000}`, `i${i}`, 1_000 + i));
  const reg = new RouteRegistry('cluster', POOL);
  let spec = buildRouteSpec(snapshot, 'cluster');
  reg.apply(spec);
  const heldSpec = spec;
  const heldTable = reg.table;
  const heldRoutes = new Map([...heldTable.byHost.entries()]);
  assert.equal(heldRoutes.size, 1_000);
  const web = heldTable.byHost.get('svc7.service.cluster')!;
  // Flips, a service emptied (gone) and a new one, each applied as the change feed does.
  const changes: [string, ReturnType<typeof inst>[]][] = [
    ['svc7', snapshot.filter((i) => i.service === 'svc7').map((i) => ({ ...i, health: 'critical' as const }))],
    ['svc8', []],
    ['fresh', [inst('fresh', 'f', 9_000)]],
  ];
  for (const change of changes) {
    spec = updateRouteSpec(spec, new Map([change]));
    reg.apply(spec);
  }
  assert.equal(reg.table.byHost.get('svc7.service.cluster')!.upstreams.length, 0);
  assert.equal(reg.table.byHost.has('svc8.service.cluster'), false);
  assert.equal(reg.table.byHost.get('fresh.service.cluster')!.upstreams.length, 1);
  assert.equal(spec.services.size, 1_000, 'one gone, one new');
  // What the reader holds is what it saw.
  assert.equal(heldSpec.services.size, 1_000);
  assert.equal(heldSpec.services.get('svc7')!.healthy.length, 3);
  assert.ok(heldSpec.services.has('svc8') && !heldSpec.services.has('fresh'));
  assert.equal(heldTable.byHost.get('svc7.service.cluster'), web);
  assert.equal(web.upstreams.length, 3);
  assert.deepEqual(contents(heldTable.byHost), contents(heldRoutes));
  await reg.close();
});
