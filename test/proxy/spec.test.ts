/** The pure parts: route spec, diff, policies, ejection, header rewriting, host keys. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_EJECTION, recordFailure, recordSuccess } from '../../src/proxy/ejection.js';
import { Body, parseRequestHead, parseResponseHead } from '../../src/proxy/http1/parse.js';
import { clientResponseHead, upstreamRequestHead } from '../../src/proxy/http1/reply.js';
import { Sweeper } from '../../src/proxy/sweep.js';
import { hostKey } from '../../src/proxy/l7.js';
import { leastInFlight, policyByName, roundRobin } from '../../src/proxy/policy.js';
import { buildRouteSpec, diffSpecs } from '../../src/proxy/spec.js';
import { Upstream } from '../../src/proxy/upstream.js';
import { inst } from './helpers.js';

const POOL = { connections: 1, connectTimeoutMs: 1, headersTimeoutMs: 1, idleTimeoutMs: 1, keepAliveMs: 1, sweeper: new Sweeper(1_000) };
const ups = (n: number) => Array.from({ length: n }, (_, i) => new Upstream(buildRouteSpec([inst('s', `i${i}`, 1000 + i)], 'c').instances.values().next().value!, POOL));

test('route spec: healthy instances only, every known service routable, hosts lowercased', () => {
  const spec = buildRouteSpec(
    [inst('Web', 'b', 2), inst('Web', 'a', 1), inst('web2', 'c', 3, { health: 'critical' }), inst('db', 'd', 4, { health: 'warning' })],
    'Cluster.',
  );
  assert.deepEqual([...spec.services.keys()].sort(), ['Web', 'db', 'web2']);
  assert.equal(spec.services.get('Web')!.host, 'web.service.cluster');
  assert.deepEqual(spec.services.get('Web')!.healthy.map((i) => i.id), ['a', 'b']);
  assert.equal(spec.services.get('web2')!.healthy.length, 0);
  assert.equal(spec.instances.size, 4);
  assert.ok(Object.isFrozen(spec.services.get('Web')!.healthy));
});

test('route spec: proxy_port meta makes an L4 route; bad values and conflicts are reported', () => {
  const spec = buildRouteSpec(
    [
      inst('redis', 'r1', 1, { meta: { proxy_port: '6379' } }),
      inst('redis', 'r2', 2, { meta: { proxy_port: '6379' }, health: 'critical' }),
      inst('alpha', 'x', 3, { meta: { proxy_port: '6379' } }),
      inst('bad', 'y', 4, { meta: { proxy_port: 'http' } }),
    ],
    'cluster',
  );
  assert.deepEqual([...spec.l4.keys()], [6379]);
  assert.equal(spec.l4.get(6379)!.service, 'alpha');
  assert.equal(spec.problems.length, 2);
  assert.match(spec.problems.join('\n'), /proxy_port="http"/);
  assert.match(spec.problems.join('\n'), /6379 claimed by alpha, redis/);
});

test('diff: added, removed (moved instance = new key), L4 ports opened and closed', () => {
  const a = buildRouteSpec([inst('s', '1', 10), inst('s', '2', 11, { meta: { proxy_port: '900' } })], 'c');
  const b = buildRouteSpec([inst('s', '1', 10), inst('s', '2', 12), inst('s', '3', 13, { meta: { proxy_port: '901' } })], 'c');
  const d = diffSpecs(a, b);
  assert.deepEqual(d.added.map((i) => i.key).sort(), ['2@127.0.0.1:12', '3@127.0.0.1:13']);
  assert.deepEqual(d.removed, ['2@127.0.0.1:11']);
  assert.deepEqual(d.opened, [901]);
  assert.deepEqual(d.closed, [900]);
});

test('round-robin cycles and skips ejected and tried instances', () => {
  const list = ups(3);
  const state = { cursor: 0 };
  assert.deepEqual([0, 1, 2, 3].map(() => roundRobin(list, state, 0, null)!.id), ['i0', 'i1', 'i2', 'i0']);
  list[1].ejectedUntil = 100;
  assert.deepEqual([0, 1, 2].map(() => roundRobin(list, state, 50, null)!.id), ['i2', 'i0', 'i2']);
  assert.equal(roundRobin(list, state, 50, [list[0], list[2]])!.id, 'i1', 'panic mode: ejected beats nothing');
  assert.equal(roundRobin(list, state, 50, list), undefined);
});

test('least-in-flight (two choices) prefers the idle instance and never picks a tried one', () => {
  const list = ups(2);
  list[0].inFlight = 5;
  for (let i = 0; i < 20; i++) assert.equal(leastInFlight(list, { cursor: 0 }, 0, null)!.id, 'i1');
  for (let i = 0; i < 20; i++) assert.equal(leastInFlight(list, { cursor: 0 }, 0, [list[1]])!.id, 'i0');
  const many = ups(10);
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) seen.add(leastInFlight(many, { cursor: 0 }, 0, null)!.id);
  assert.equal(seen.size, 10, 'spreads over all instances when equally loaded');
  assert.throws(() => policyByName('random'), /unknown balancing policy/);
});

test('ejection: consecutive failures eject with doubling back-off, capped share', () => {
  const list = ups(4);
  const o = { ...DEFAULT_EJECTION, consecutiveFailures: 2, baseMs: 100, maxShare: 0.5 };
  assert.equal(recordFailure(list[0], list, 0, o), false);
  assert.equal(recordFailure(list[0], list, 0, o), true);
  assert.equal(list[0].ejectedUntil, 100);
  recordFailure(list[1], list, 0, o);
  assert.equal(recordFailure(list[1], list, 0, o), true);
  recordFailure(list[2], list, 0, o);
  assert.equal(recordFailure(list[2], list, 0, o), false, 'a third of four would exceed 50%');
  // back again after the back-off, fails again: twice as long
  recordFailure(list[0], list, 150, o);
  assert.equal(recordFailure(list[0], list, 150, o), true);
  assert.equal(list[0].ejectedUntil, 350);
  recordSuccess(list[0], 400);
  assert.equal(list[0].ejectionStreak, 0);
  assert.equal(list[0].stats.ejections, 2);
});

test('request headers: hop-by-hop and Connection-named removed, X-Forwarded-* added', () => {
  const lines = ['GET / HTTP/1.1', 'Host: Web.service.cluster:8080', 'Connection: keep-alive, X-Secret', 'X-Secret: 1', 'Keep-Alive: timeout=5', 'TE: trailers', 'X-Forwarded-For: 10.0.0.1', 'Content-Length: 3', 'Accept: */*'];
  const req = parseRequestHead(lines.join('\r\n'));
  assert.equal(req.host, 'Web.service.cluster:8080');
  assert.equal(req.body, Body.Length);
  assert.equal(
    upstreamRequestHead(req, '127.0.0.9', 'http'),
    'GET / HTTP/1.1\r\nHost: Web.service.cluster:8080\r\nContent-Length: 3\r\nAccept: */*\r\n' +
      'x-forwarded-for: 10.0.0.1, 127.0.0.9\r\nx-forwarded-host: Web.service.cluster:8080\r\nx-forwarded-proto: http\r\n\r\n',
  );
  const ws = parseRequestHead('GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket');
  assert.ok(upstreamRequestHead(ws, '1.2.3.4', 'http').startsWith('GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n'));
  assert.equal(parseRequestHead('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0').body, Body.None);
});

test('response headers: hop-by-hop stripped, repeated headers kept', () => {
  const res = parseResponseHead('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nConnection: close', 'GET');
  assert.equal(clientResponseHead(res, false, ''), 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n');
});

test('host key: port and trailing dot ignored, case-insensitive', () => {
  assert.equal(hostKey('Web.Service.Cluster:8080'), 'web.service.cluster');
  assert.equal(hostKey('web.service.cluster.'), 'web.service.cluster');
  assert.equal(hostKey('web.service.cluster'), 'web.service.cluster');
});

test('registry: updates keep upstream objects (pools, in-flight, ejection) and balancer state', async () => {
  const { RouteRegistry } = await import('../../src/proxy/table.js');
  const reg = new RouteRegistry('cluster', POOL);
  reg.apply(buildRouteSpec([inst('web', 'a', 1), inst('web', 'b', 2)], 'cluster'));
  const before = reg.table.byHost.get('web.service.cluster')!;
  before.upstreams[0].inFlight = 7;
  before.upstreams[1].ejectedUntil = 42;
  before.state.cursor = 5;
  before.stats.retries = 3;
  reg.apply(buildRouteSpec([inst('web', 'a', 1), inst('web', 'b', 2), inst('web', 'c', 3), inst('db', 'd', 4)], 'cluster'));
  const after = reg.table.byHost.get('web.service.cluster')!;
  assert.notEqual(after, before, 'a new frozen table');
  assert.equal(after.upstreams[0], before.upstreams[0]);
  assert.equal(after.upstreams[0].inFlight, 7);
  assert.equal(after.upstreams[1].ejectedUntil, 42);
  assert.equal(after.state.cursor, 5);
  assert.equal(after.stats.retries, 3);
  reg.apply(buildRouteSpec([inst('web', 'b', 2, { health: 'critical' })], 'cluster'));
  assert.equal(reg.table.byHost.get('web.service.cluster')!.upstreams.length, 0);
  assert.equal(reg.table.byHost.has('db.service.cluster'), false);
  assert.equal(reg.upstreams().live[0], before.upstreams[1], 'an unhealthy instance keeps its upstream');
  await reg.close();
});

test('route spec is proportional: unchanged services keep their spec and route objects, changed ones are rebuilt', async () => {
  const { RouteRegistry } = await import('../../src/proxy/table.js');
  const reg = new RouteRegistry('cluster', POOL);
  const snapshot = Array.from({ length: 200 }, (_, i) => inst(`svc${i % 50}`, `i${i}`, 1000 + i));
  const first = buildRouteSpec(snapshot, 'cluster');
  reg.apply(first);
  const routeBefore = (s: string) => reg.table.byHost.get(`${s}.service.cluster`)!;
  const r0 = routeBefore('svc0');
  const r1 = routeBefore('svc1');
  // A fresh copy of every instance (what a catalog read returns), one health flip, one new instance of svc2.
  const next = snapshot.map((i) => ({ ...i, meta: { ...i.meta } }));
  next[1] = { ...next[1]!, health: 'critical' };
  next.push(inst('svc2', 'new', 9000));
  const second = buildRouteSpec(next, 'cluster', first);
  assert.equal(second.services.get('svc0'), first.services.get('svc0'), 'same routing fields: same spec object');
  assert.notEqual(second.services.get('svc1'), first.services.get('svc1'));
  const d = diffSpecs(first, second);
  assert.deepEqual(d.added.map((i) => i.id), ['new']);
  assert.deepEqual(d.removed, []);
  reg.apply(second);
  assert.equal(routeBefore('svc0'), r0, 'an unchanged service keeps its route');
  assert.notEqual(routeBefore('svc1'), r1);
  assert.equal(routeBefore('svc1').upstreams.length, 3, 'the flipped instance left the route');
  assert.equal(routeBefore('svc2').upstreams.length, 5);
  // An instance that moves to another service: one upstream, never drained while it is still served.
  const moved = next.map((i) => (i.id === 'i0' ? { ...i, service: 'svc3' } : i));
  const third = buildRouteSpec(moved, 'cluster', second);
  assert.deepEqual(diffSpecs(second, third), { added: [], removed: [], opened: [], closed: [] });
  reg.apply(third);
  assert.ok(routeBefore('svc3').upstreams.some((u) => u.id === 'i0'));
  // A meta change routing reads (the access-log mode) rebuilds; one it does not read is a comparison.
  const chatty = moved.map((i) => (i.id === 'i5' ? { ...i, meta: { 'access-log': 'all', other: 'x' } } : i));
  const fourth = buildRouteSpec(chatty, 'cluster', third);
  assert.equal(fourth.services.get('svc5')!.accessLog, 'all');
  const other = buildRouteSpec(chatty.map((i) => (i.id === 'i5' ? { ...i, meta: { ...i.meta, other: 'y' } } : i)), 'cluster', fourth);
  assert.equal(other.services.get('svc5'), fourth.services.get('svc5'));
  await reg.close();
});

test('a rebuilt service keeps the instance specs of its unchanged instances; a moved or renamed one gets a new one', () => {
  const first = buildRouteSpec([inst('web', 'a', 1), inst('web', 'b', 2), inst('web', 'c', 3)], 'cluster');
  const byId = (spec: typeof first) => new Map(spec.services.get('web')!.all.map((i) => [i.id, i]));
  const flipped = buildRouteSpec([inst('web', 'a', 1), inst('web', 'b', 2, { health: 'critical' }), inst('web', 'c', 4)], 'cluster', first);
  assert.notEqual(flipped.services.get('web'), first.services.get('web'), 'the service was rebuilt');
  assert.equal(byId(flipped).get('a'), byId(first).get('a'), 'unchanged: the same object');
  assert.equal(byId(flipped).get('b'), byId(first).get('b'), 'a health flip changes no instance field');
  assert.notEqual(byId(flipped).get('c'), byId(first).get('c'), 'a new port is a new instance spec');
  assert.equal(byId(flipped).get('c')!.key, 'c@127.0.0.1:4');
  assert.equal(byId(first).get('c')!.key, 'c@127.0.0.1:3', 'the spec before is unchanged');
  const renamed = buildRouteSpec([inst('web', 'a', 1, { name: 'web-9' }), inst('web', 'c', 4)], 'cluster', flipped);
  assert.notEqual(byId(renamed).get('a'), byId(flipped).get('a'));
  assert.equal(byId(renamed).get('a')!.name, 'web-9');
  assert.deepEqual(diffSpecs(flipped, renamed), { added: [], removed: ['b@127.0.0.1:2'], opened: [], closed: [] });
});

test('a host that changes service in one update (another case of the name) routes to the service that has it now, whatever the order', async () => {
  const { RouteRegistry } = await import('../../src/proxy/table.js');
  const { updateRouteSpec } = await import('../../src/proxy/spec-update.js');
  for (const order of ['gone first', 'gone last']) {
    const reg = new RouteRegistry('cluster', POOL);
    const first = buildRouteSpec([inst('Web', 'a', 1)], 'cluster');
    reg.apply(first);
    assert.equal(reg.table.byHost.get('web.service.cluster')?.service, 'Web');
    const changes: [string, ReturnType<typeof inst>[]][] = [['Web', []], ['web', [inst('web', 'b', 2)]]];
    const next = updateRouteSpec(first, new Map(order === 'gone first' ? changes : changes.reverse()));
    reg.apply(next);
    assert.equal(reg.table.byHost.get('web.service.cluster')?.service, 'web', order);
    assert.deepEqual(reg.table.byHost.get('web.service.cluster')!.upstreams.map((u) => u.id), ['b'], order);
    // And when the service that took it goes in turn, the host goes with it.
    reg.apply(updateRouteSpec(next, new Map([['web', []]])));
    assert.equal(reg.table.byHost.has('web.service.cluster'), false, order);
    await reg.close();
  }
});
