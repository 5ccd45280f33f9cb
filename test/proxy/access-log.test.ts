/**
 * Access logs: which exchanges are logged (`off`, `errors` — the default —, `all`, per service from
 * the instance meta `access-log`), and that lines leave in batches, never one write per request.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { AccessLog, serviceMode } from '../../src/proxy/access-log.js';
import { createProxy } from '../../src/proxy/index.js';
import { eventually } from '../support/wait.js';
import { closeServer, freePort, inst, send, startBackend } from './helpers.js';

/** A pino logger whose destination counts its writes and keeps every line. */
function capture(level = 'info') {
  const out = { writes: 0, lines: [] as Record<string, unknown>[] };
  const stream = new Writable({
    write(chunk, _enc, done) {
      out.writes++;
      for (const line of String(chunk).split('\n')) if (line) out.lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level, base: { pid: 1 } }, stream).child({ component: 'proxy' }), out };
}

test('lines wait in a batch: nothing is written on the data path, one write carries them all, in pino format', () => {
  const { log, out } = capture();
  const access = new AccessLog(log, 'all');
  for (let i = 0; i < 100; i++) access.add('access', { service: 'web', status: 200, url: `/p${i}"\n` });
  assert.equal(out.writes, 0, 'no write while requests are served');
  access.flush();
  assert.equal(out.writes, 1);
  assert.equal(out.lines.length, 100);
  const first = out.lines[0]!;
  assert.equal(first.level, 30);
  assert.equal(first.pid, 1);
  assert.equal(first.component, 'proxy');
  assert.equal(first.msg, 'access');
  assert.equal(first.url, '/p0"\n', 'fields are JSON-escaped');
  assert.equal(typeof first.time, 'number');
});

test('modes: errors keeps failures only, all keeps everything, off nothing; at warn nothing is built', () => {
  const { log } = capture();
  const access = new AccessLog(log, 'errors');
  assert.equal(access.wants(undefined, false), false);
  assert.equal(access.wants(undefined, true), true);
  assert.equal(access.wants('all', false), true);
  assert.equal(access.wants('off', true), false);
  assert.equal(new AccessLog(capture('warn').log, 'all').wants('all', true), false);
  assert.equal(serviceMode(['errors', undefined, 'ALL ', 'bogus']), 'all');
  assert.equal(serviceMode(['bogus', undefined]), undefined);
});

test('a batch that cannot be written fast enough drops lines past the cap and counts them, never grows without bound', () => {
  const { log, out } = capture();
  const access = new AccessLog(log, 'all');
  for (let i = 0; i < 25_000; i++) access.add('access', { i });
  access.flush();
  assert.equal(out.lines.length, 20_000);
  assert.equal(access.dropped, 5_000);
});

test('through the proxy: by default a 200 leaves no line and a 502 does; a service may ask for all or off', async (t) => {
  const { log, out } = capture();
  const backend = await startBackend('b');
  const dead = await freePort();
  const proxy = await createProxy({ httpAddr: '127.0.0.1:0', logger: log, attempts: 1 });
  t.after(async () => {
    await proxy.stop();
    await closeServer(backend.server);
  });
  await proxy.update([
    inst('quiet', 'q', backend.port),
    inst('broken', 'x', dead),
    inst('chatty', 'c', backend.port, { meta: { 'access-log': 'all' } }),
    inst('silenced', 's', dead, { meta: { 'access-log': 'off' } }),
  ]);
  const port = proxy.httpAddress().port;
  assert.equal((await send(port, 'quiet.service.cluster')).status, 200);
  assert.equal((await send(port, 'broken.service.cluster')).status, 502);
  assert.equal((await send(port, 'chatty.service.cluster')).status, 200);
  assert.equal((await send(port, 'silenced.service.cluster')).status, 502);
  await eventually(() => out.lines.filter((l) => l.msg === 'access').length >= 2, 5_000, 'the batch to be written');
  const access = out.lines.filter((l) => l.msg === 'access');
  assert.deepEqual(access.map((l) => `${l.service} ${l.status}`).sort(), ['broken 502', 'chatty 200']);
});

test('L4: a connection no instance accepts is logged by default, a clean one is not', async (t) => {
  const { log, out } = capture();
  const backend = await startBackend('b');
  const [good, bad, dead] = [await freePort(), await freePort(), await freePort()];
  const proxy = await createProxy({ httpAddr: '127.0.0.1:0', l4Bind: '127.0.0.1', logger: log, attempts: 1 });
  t.after(async () => {
    await proxy.stop();
    await closeServer(backend.server);
  });
  await proxy.update([inst('ok', 'o', backend.port, { meta: { proxy_port: String(good) } }), inst('down', 'd', dead, { meta: { proxy_port: String(bad) } })]);
  await eventually(() => proxy.l4Ports().length === 2, 2_000, 'both listeners');
  const res = await new Promise<string>((resolve, reject) => {
    const c = connect({ host: '127.0.0.1', port: good }, () => c.end('GET / HTTP/1.0\r\nHost: x\r\n\r\n'));
    let got = '';
    c.on('data', (d) => (got += String(d)));
    c.on('close', () => resolve(got));
    c.on('error', reject);
  });
  assert.match(res, /^HTTP\/1\.1 200/);
  await new Promise<void>((resolve) => {
    const c = connect({ host: '127.0.0.1', port: bad });
    c.on('error', () => undefined);
    c.on('close', () => resolve());
  });
  await eventually(() => out.lines.some((l) => l.msg === 'L4 connection failed'), 5_000, 'the failed connection line');
  await eventually(() => proxy.metrics().services.find((s) => s.service === 'ok')?.activeConnections === 0, 2_000, 'the good pair closed');
  await proxy.stop();
  assert.deepEqual(
    out.lines.filter((l) => String(l.msg).startsWith('L4 connection')).map((l) => `${l.service} ${l.msg}`),
    ['down L4 connection failed'],
  );
});
