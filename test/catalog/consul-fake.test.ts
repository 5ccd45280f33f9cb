/**
 * The fake Consul agent itself: it must reject what Consul rejects (otherwise the boundary tests
 * prove nothing) and answer in Consul's shapes. Plain fetch, no adapter involved.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeConsul } from './fake-consul/server.js';

async function start(t: import('node:test').TestContext, timeScale = 1): Promise<FakeConsul> {
  const fake = await FakeConsul.start({ timeScale });
  t.after(() => fake.close());
  return fake;
}

test('malformed requests are answered 400 and recorded as violations', async (t) => {
  const fake = await start(t);
  const put = (path: string, body?: unknown) =>
    fetch(`${fake.url}/v1${path}`, { method: 'PUT', body: body === undefined ? undefined : JSON.stringify(body) });
  const bad: [string, unknown][] = [
    ['/agent/service/register', { name: 'lowercase-field' }],
    ['/agent/service/register', { Name: 'web', Port: '80' }],
    ['/agent/service/register', { Name: 'web', Meta: { 'maestro.job': 'x' } }],
    ['/agent/service/register', { Name: 'web', Meta: { 'consul-x': 'x' } }],
    ['/agent/service/register', { Name: 'web', Check: { TTL: '30 seconds' } }],
    ['/agent/service/register', { Name: 'web', Check: { TTL: '30s', Status: 'ok' } }],
    ['/session/create', { Name: 'x', Ttl: '10s' }],
    ['/agent/check/update/serfHealth', { Status: 'fine' }],
  ];
  for (const [path, body] of bad) assert.equal((await put(path, body)).status, 400, `${path} ${JSON.stringify(body)}`);
  assert.equal((await fetch(`${fake.url}/v1/kv/k?index=1&wait=10`)).status, 400, 'wait needs a unit');
  assert.equal((await fetch(`${fake.url}/v1/kv/k?cas=-1`, { method: 'PUT', body: 'x' })).status, 400);
  assert.equal((await fetch(`${fake.url}/v1/kv/k?token=x`)).status, 400, 'tokens go in a header');
  assert.equal((await fetch(`${fake.url}/v1/kv/k?bogus=1`)).status, 400);
  assert.equal((await fetch(`${fake.url}/v1/agent/service/register`)).status, 400, 'GET on a PUT endpoint');
  assert.equal(fake.violations.length, bad.length + 5);
});

test('answers in Consul shapes: X-Consul-Index, 404 for absent keys, true/false, base64 values', async (t) => {
  const fake = await start(t);
  const absent = await fetch(`${fake.url}/v1/kv/a`);
  assert.equal(absent.status, 404);
  assert.ok(Number(absent.headers.get('x-consul-index')) > 0);
  const put = await fetch(`${fake.url}/v1/kv/a?cas=0`, { method: 'PUT', body: 'hello' });
  assert.equal(await put.text(), 'true');
  assert.equal(await (await fetch(`${fake.url}/v1/kv/a?cas=0`, { method: 'PUT', body: 'again' })).text(), 'false');
  const got = await fetch(`${fake.url}/v1/kv/a`);
  const [entry] = (await got.json()) as { Value: string; ModifyIndex: number; CreateIndex: number; LockIndex: number; Flags: number; Key: string }[];
  assert.equal(Buffer.from(entry!.Value, 'base64').toString(), 'hello');
  assert.equal(Number(got.headers.get('x-consul-index')), entry!.ModifyIndex);
  assert.deepEqual(Object.keys(entry!).sort(), ['CreateIndex', 'Flags', 'Key', 'LockIndex', 'ModifyIndex', 'Value']);

  const session = await fetch(`${fake.url}/v1/session/create`, { method: 'PUT', body: JSON.stringify({ TTL: '5s' }) });
  assert.equal(session.status, 500, 'TTL below 10s is refused by the server');
  const renew = await fetch(`${fake.url}/v1/session/renew/0b5e4c1a-0000-4000-8000-000000000000`, { method: 'PUT' });
  assert.equal(renew.status, 404);
  const acquire = await fetch(`${fake.url}/v1/kv/a?acquire=0b5e4c1a-0000-4000-8000-000000000000`, { method: 'PUT', body: 'x' });
  assert.equal(acquire.status, 500);
  assert.match(await acquire.text(), /invalid session/i);
  const services = (await (await fetch(`${fake.url}/v1/catalog/services`)).json()) as Record<string, string[]>;
  assert.deepEqual(services, { consul: [] }, 'a dev agent lists its own consul service');
  assert.deepEqual(fake.violations, []);
});

test('blocking reads hold until the index passes or wait elapses; TTL checks and sessions expire', async (t) => {
  const fake = await start(t, 0.05);
  await fetch(`${fake.url}/v1/kv/b`, { method: 'PUT', body: '1' });
  const index = Number((await fetch(`${fake.url}/v1/kv/b`)).headers.get('x-consul-index'));
  let started = Date.now();
  const quiet = await fetch(`${fake.url}/v1/kv/b?index=${index}&wait=300ms`);
  assert.ok(Date.now() - started >= 280, 'held for the wait time');
  assert.equal(Number(quiet.headers.get('x-consul-index')), index);
  started = Date.now();
  const woken = fetch(`${fake.url}/v1/kv/b?index=${index}&wait=10s`);
  setTimeout(() => void fetch(`${fake.url}/v1/kv/b`, { method: 'PUT', body: '2' }), 50);
  assert.ok(Number((await woken).headers.get('x-consul-index')) > index);
  assert.ok(Date.now() - started < 2_000);

  // TTL "10s" at timeScale 0.05: the check goes critical after 0.5 s without a pass.
  await fetch(`${fake.url}/v1/agent/service/register`, { method: 'PUT', body: JSON.stringify({ Name: 's', Check: { TTL: '10s', Status: 'passing' } }) });
  await new Promise((r) => setTimeout(r, 700));
  const checks = (await (await fetch(`${fake.url}/v1/health/state/critical`)).json()) as { CheckID: string; Output: string }[];
  assert.deepEqual(checks.map((c) => [c.CheckID, c.Output]), [['service:s', 'TTL expired']]);

  // A session invalidates after 2×TTL (1 s here) and releases its lock.
  const { ID } = (await (await fetch(`${fake.url}/v1/session/create`, { method: 'PUT', body: JSON.stringify({ TTL: '10s', LockDelay: '0s' }) })).json()) as { ID: string };
  assert.equal(await (await fetch(`${fake.url}/v1/kv/lock?acquire=${ID}`, { method: 'PUT', body: 'x' })).text(), 'true');
  await new Promise((r) => setTimeout(r, 1_300));
  const [lock] = (await (await fetch(`${fake.url}/v1/kv/lock`)).json()) as { Session?: string }[];
  assert.equal(lock!.Session, undefined);
  assert.deepEqual(fake.violations, []);
});
