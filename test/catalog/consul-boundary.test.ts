/**
 * The Consul adapter's HTTP boundary: the exact request each port call makes (method, path, query,
 * body, headers) and how Consul's answers map back. The fake agent additionally rejects (and records
 * as a violation) anything Consul's API documentation does not allow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withFake, inst } from './fake-consul/harness.js';

test('registerInstance: one agent service with encoded meta and one TTL check', async (t) => {
  const { fake, catalog } = await withFake(t);
  const i = inst({ id: 'h1:abc:80', service: 'redis', name: 'redis-0', tags: ['cache'], meta: { 'maestro.job': 'redis', a_b: 'x' } });
  await catalog.registerInstance(i);
  const [reg] = fake.calls('PUT', '/agent/service/register');
  assert.deepEqual(reg!.query, {});
  assert.match(String(reg!.headers['content-type']), /^application\/json/);
  assert.deepEqual(reg!.body, {
    ID: 'h1:abc:80',
    Name: 'redis',
    Tags: ['cache'],
    Address: '10.0.0.1',
    Port: i.port,
    Meta: { 'maestro-name': 'redis-0', 'maestro-host': 'h1', 'm-maestro_2Ejob': 'redis', 'm-a__b': 'x' },
    Check: {
      CheckID: 'service:h1:abc:80',
      Name: 'maestro health of h1:abc:80',
      Notes: 'TTL re-asserted by the Maestro catalog adapter',
      TTL: '30s',
      Status: 'passing',
      DeregisterCriticalServiceAfter: '300s',
    },
  });
  // First registration since start: the health is asserted too (re-registration keeps a check's status).
  const [pass] = fake.calls('PUT', '/agent/check/pass/');
  assert.equal(pass!.path, '/agent/check/pass/service:h1:abc:80');
  assert.deepEqual(pass!.query, { note: 'maestro: passing' });
  assert.equal(pass!.body, undefined);

  const listed = (await catalog.listInstances()).value;
  assert.deepEqual(listed, [i], 'meta, name and owner survive the round trip');
});

test('setHealth, deregisterInstance: TTL check updates and agent deregistration', async (t) => {
  const { fake, catalog } = await withFake(t);
  const i = inst();
  await catalog.registerInstance(i);
  await catalog.setHealth(i.id, 'warning');
  await catalog.setHealth(i.id, 'critical');
  assert.deepEqual(
    fake.requests.filter((r) => r.path.startsWith('/agent/check/')).map((r) => `${r.method} ${r.path} ${r.query.note}`),
    [`PUT /agent/check/pass/service:${i.id} maestro: passing`, `PUT /agent/check/warn/service:${i.id} maestro: warning`, `PUT /agent/check/fail/service:${i.id} maestro: critical`],
  );
  assert.equal((await catalog.listInstances()).value[0]!.health, 'critical');
  await assert.rejects(catalog.setHealth('h1:nope:1', 'passing'), { code: 'not_found' });

  await catalog.deregisterInstance(i.id);
  const [dereg] = fake.calls('PUT', '/agent/service/deregister/');
  assert.equal(dereg!.path, `/agent/service/deregister/${i.id}`);
  assert.equal(dereg!.body, undefined);
  await catalog.deregisterInstance(i.id); // 404 from the agent is not an error
  assert.deepEqual((await catalog.listInstances()).value, []);
});

test('healthyInstances and listServices are blocking reads with index and wait', async (t) => {
  const { fake, catalog } = await withFake(t);
  const a = inst({ service: 'api', tags: ['b', 'a'] });
  await catalog.registerInstance(a);
  const first = await catalog.healthyInstances('api');
  assert.deepEqual(fake.calls('GET', '/health/service/api').at(-1)!.query, { passing: 'true' });
  const blocked = catalog.healthyInstances('api', { index: first.index, waitMs: 5_000 });
  setTimeout(() => void catalog.setHealth(a.id, 'critical'), 50);
  const after = await blocked;
  assert.deepEqual(fake.calls('GET', '/health/service/api').at(-1)!.query, { passing: 'true', index: String(first.index), wait: '5000ms' });
  assert.ok(after.index > first.index);
  assert.deepEqual(after.value, []);

  const services = await catalog.listServices({ index: 1, waitMs: 1_000 });
  assert.deepEqual(fake.calls('GET', '/catalog/services').at(-1)!.query, { index: '1', wait: '1000ms' });
  assert.deepEqual(services.value, { api: ['a', 'b'] }, "Consul's own `consul` service is left out");
});

test('listInstances blocks on services and checks at once and wakes on a health change', async (t) => {
  const { fake, catalog } = await withFake(t);
  const a = inst();
  await catalog.registerInstance(a);
  const { index } = await catalog.listInstances();
  const pending = catalog.listInstances({ index, waitMs: 5_000 });
  setTimeout(() => void catalog.setHealth(a.id, 'warning'), 50);
  const r = await pending;
  assert.ok(r.index > index);
  assert.equal(r.value[0]!.health, 'warning');
  const blocking = fake.requests.filter((q) => q.query.index === String(index)).map((q) => q.path).sort();
  assert.deepEqual(blocking, ['/catalog/services', '/health/state/any']);
});

test('listInstances ignores services Maestro did not register and narrows by host', async (t) => {
  const { fake, catalog } = await withFake(t);
  const res = await fetch(`${fake.url}/v1/agent/service/register`, {
    method: 'PUT',
    body: JSON.stringify({ Name: 'legacy', ID: 'legacy-1', Port: 9, Check: { TTL: '30s', Status: 'passing' } }),
  });
  assert.equal(res.status, 200);
  await catalog.registerInstance(inst({ id: 'h1:x:1', host: 'h1' }));
  await catalog.registerInstance(inst({ id: 'h2:y:1', host: 'h2' }));
  assert.deepEqual((await catalog.listInstances()).value.map((i) => i.id), ['h1:x:1', 'h2:y:1']);
  assert.deepEqual((await catalog.listInstances({ host: 'h2' })).value.map((i) => i.id), ['h2:y:1']);
});

test('KV: raw value bodies, cas/recurse query parameters, base64 values back', async (t) => {
  const { fake, catalog } = await withFake(t);
  const value = 'ünïcode ✓ {"json":true}';
  assert.equal(await catalog.kvPut('app/x', value, { cas: 0 }), true);
  const put = fake.calls('PUT', '/kv/app/x')[0]!;
  assert.deepEqual(put.query, { cas: '0' });
  assert.equal(put.body, value, 'the value is the raw body');
  const got = await catalog.kvGet('app/x');
  assert.equal(got.value?.value, value);
  assert.equal(got.index, got.value?.modifyIndex);
  assert.equal(await catalog.kvPut('app/y', ''), true);
  assert.equal((await catalog.kvGet('app/y')).value?.value, '', 'an empty value comes back as null');
  assert.equal((await catalog.kvGet('app/none')).value, undefined, '404 means absent');
  assert.deepEqual((await catalog.kvList('app/')).value.map((e) => e.key), ['app/x', 'app/y']);
  assert.deepEqual(fake.calls('GET', '/kv/app/').at(-1)!.query, { recurse: 'true' });
  assert.deepEqual((await catalog.kvList('nothing/')).value, []);
  assert.equal(await catalog.kvDelete('app/', { recurse: true }), true);
  assert.deepEqual(fake.calls('DELETE', '/kv/app/').at(-1)!.query, { recurse: 'true' });
  assert.deepEqual((await catalog.kvList('app/')).value, []);
});

test('sessions: create body, TTL clamped to Consul bounds, renew 404 is false', async (t) => {
  const { fake, catalog } = await withFake(t);
  const id = await catalog.createSession({ name: 'host:h1', ttlMs: 15_000 });
  await catalog.createSession({ name: 'short', ttlMs: 300 });
  await catalog.createSession({ name: 'long', ttlMs: 100 * 86_400_000 });
  assert.deepEqual(
    fake.calls('PUT', '/session/create').map((r) => r.body),
    [
      { Name: 'host:h1', TTL: '15s', Behavior: 'release', LockDelay: '0s' },
      { Name: 'short', TTL: '10s', Behavior: 'release', LockDelay: '0s' },
      { Name: 'long', TTL: '86400s', Behavior: 'release', LockDelay: '0s' },
    ],
  );
  assert.equal(await catalog.renewSession(id), true);
  assert.equal(fake.calls('PUT', '/session/renew/')[0]!.path, `/session/renew/${id}`);
  await catalog.destroySession(id);
  assert.equal(fake.calls('PUT', '/session/destroy/')[0]!.path, `/session/destroy/${id}`);
  assert.equal(await catalog.renewSession(id), false);
});

test('hosts: a session-acquired key per host; a newer session of the same host takes over', async (t) => {
  const { fake, catalog } = await withFake(t);
  const host = { name: 'n1', address: '10.0.0.5', meta: { disk: 'ssd' }, capacity: { cpu: 2000, memory: 4096 } };
  const old = await catalog.createSession({ name: 'host:n1', ttlMs: 10_000 });
  await catalog.registerHost(host, old);
  const put = fake.calls('PUT', '/kv/maestro/hosts/n1')[0]!;
  assert.deepEqual(put.query, { acquire: old });
  assert.deepEqual(put.body, host);

  const fresh = await catalog.createSession({ name: 'host:n1', ttlMs: 10_000 });
  await catalog.registerHost({ ...host, address: '10.0.0.6' }, fresh);
  const hosts = (await catalog.listHosts()).value;
  assert.deepEqual(hosts, [{ ...host, address: '10.0.0.6', alive: true }]);
  assert.equal((await catalog.kvGet('maestro/hosts/n1')).value?.session, fresh);
  assert.ok(fake.calls('PUT', '/kv/maestro/hosts/n1').some((r) => r.query.release === old), 'the old hold was released');

  await catalog.destroySession(fresh);
  assert.equal((await catalog.listHosts()).value[0]!.alive, false, 'release behaviour: record kept, host down');
  await catalog.removeHost('n1');
  assert.deepEqual((await catalog.listHosts()).value, []);
});

test('the ACL token travels as X-Consul-Token; a denied request is bad_request', async (t) => {
  const { fake, catalog } = await withFake(t, { token: 's3cr3t' }, { token: 's3cr3t' });
  await catalog.kvPut('k', 'v');
  await catalog.listServices();
  assert.ok(fake.requests.every((r) => r.headers['x-consul-token'] === 's3cr3t'));
  const { catalog: anonymous } = await withFake(t, { token: 'other' });
  await assert.rejects(anonymous.kvGet('k'), { code: 'bad_request' });
});
