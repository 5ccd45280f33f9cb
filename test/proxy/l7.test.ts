/** L7 behaviour over real sockets: node backends on port 0, the embedded catalog as the source. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Agent, request } from 'node:http';
import { test } from 'node:test';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import { createProxy, startProxy } from '../../src/proxy/index.js';
import { eventually } from '../support/wait.js';
import { closeServer, inst, send, startBackend } from './helpers.js';

const HOST = 'web.service.cluster';

async function spread(port: number, n: number, agent?: Agent): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const r = await send(port, HOST, { agent });
    assert.equal(r.status, 200, r.body);
    const who = r.body.split(' ')[0];
    seen.set(who, (seen.get(who) ?? 0) + 1);
  }
  return seen;
}

test('follows the catalog: spread over three, unhealthy stops and new starts within a second', async (t) => {
  const catalog = createEmbeddedCatalog();
  const backends = await Promise.all(['a', 'b', 'c', 'd'].map(startBackend));
  t.after(async () => {
    await proxy.stop();
    await catalog.close();
    await Promise.all(backends.map((b) => b.kill()));
  });
  for (const b of backends.slice(0, 3)) await catalog.registerInstance(inst('web', b.name, b.port));
  const proxy = await startProxy({ catalog, zone: 'cluster', httpAddr: '127.0.0.1:0', policy: 'round-robin' });
  const port = proxy.httpAddress().port;
  const agent = new Agent({ keepAlive: true });
  t.after(() => agent.destroy());

  const first = await spread(port, 30, agent);
  assert.deepEqual([...first.keys()].sort(), ['a', 'b', 'c']);
  for (const n of first.values()) assert.equal(n, 10, 'round-robin spreads evenly');

  await catalog.setHealth('b', 'critical');
  const t0 = Date.now();
  await eventually(async () => !(await spread(port, 6, agent)).has('b'), 1_000, 'b to stop receiving');
  const hitsB = backends[1].hits;
  await spread(port, 20, agent);
  assert.equal(backends[1].hits, hitsB, 'no request reaches an unhealthy instance');

  await catalog.registerInstance(inst('web', 'd', backends[3].port));
  await eventually(async () => (await spread(port, 6, agent)).has('d'), 1_000, 'd to start receiving');
  assert.ok(Date.now() - t0 < 2_000);

  const m = proxy.metrics().services.find((s) => s.service === 'web')!;
  assert.ok(m.requests['2xx'] >= 50);
  assert.ok(m.latencySeconds.count >= 50);
  assert.equal(m.instances.length, 4);
});

test('404 for an unknown host, 503 for a service without healthy instance, X-Forwarded-* set', async (t) => {
  const b = await startBackend('a');
  const proxy = await createProxy({ httpAddr: '127.0.0.1:0' });
  t.after(async () => {
    await proxy.stop();
    await b.kill();
  });
  await proxy.update([inst('web', 'a', b.port), inst('down', 'x', 1, { health: 'critical' })]);
  const port = proxy.httpAddress().port;

  const nf = await send(port, 'nope.service.cluster');
  assert.equal(nf.status, 404);
  assert.match(nf.body, /no service for host "nope.service.cluster"; expected <service>\.service\.cluster/);
  assert.equal((await send(port, 'Down.Service.Cluster:80')).status, 503);
  assert.match((await send(port, 'down.service.cluster')).body, /no healthy instance of service "down"/);

  const r = await send(port, 'WEB.service.cluster:1234', { path: '/headers', headers: { 'x-forwarded-for': '10.1.1.1', 'x-private': '1', connection: 'x-private' } });
  assert.equal(r.status, 200);
  const seen = JSON.parse(r.body) as Record<string, string>;
  assert.equal(seen['x-forwarded-for'], '10.1.1.1, 127.0.0.1');
  assert.equal(seen['x-forwarded-host'], 'WEB.service.cluster:1234');
  assert.equal(seen['x-forwarded-proto'], 'http');
  assert.equal(seen['x-private'], undefined, 'headers named by Connection stay on their hop');
  assert.equal(proxy.metrics().unrouted, 1);
});

test('a backend killed during a load of GETs: zero failed GETs, and it is ejected', async (t) => {
  const backends = await Promise.all(['a', 'b', 'c'].map(startBackend));
  const proxy = await createProxy({ httpAddr: '127.0.0.1:0', ejection: { consecutiveFailures: 2 } });
  t.after(async () => {
    await proxy.stop();
    await Promise.all(backends.map((b) => b.kill()));
  });
  await proxy.update(backends.map((b) => inst('web', b.name, b.port)));
  const port = proxy.httpAddress().port;
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  t.after(() => agent.destroy());

  let ok = 0;
  const failures: string[] = [];
  const total = 3_000;
  let issued = 0;
  const worker = async () => {
    while (issued < total) {
      issued++;
      if (issued === 600) void backends[1].kill();
      try {
        const r = await send(port, HOST, { agent });
        if (r.status === 200) ok++;
        else failures.push(`${r.status} ${r.body}`);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  assert.deepEqual(failures, []);
  assert.equal(ok, total);
  const web = proxy.metrics().services.find((s) => s.service === 'web')!;
  const b = web.instances.find((i) => i.id === 'b')!;
  assert.ok(b.ejections >= 1, `b ejected (${JSON.stringify(b)})`);
  assert.ok(web.retries >= 1);
});

test('POST is not retried once sent; a POST that could not connect is', async (t) => {
  let hits = 0;
  const { createServer } = await import('node:http');
  const rude = createServer((req) => {
    hits++;
    req.on('data', () => undefined);
    req.on('end', () => req.socket.destroy());
  });
  await new Promise<void>((r) => rude.listen(0, '127.0.0.1', () => r()));
  const rudePort = (rude.address() as { port: number }).port;
  const good = await startBackend('good');
  const proxy = await createProxy({ httpAddr: '127.0.0.1:0', policy: 'round-robin' });
  t.after(async () => {
    await proxy.stop();
    await closeServer(rude);
    await good.kill();
  });
  const port = proxy.httpAddress().port;

  await proxy.update([inst('web', 'a-rude', rudePort), inst('web', 'b-good', good.port)]);
  const r = await send(port, HOST, { method: 'POST', body: 'order=1' });
  assert.equal(r.status, 502);
  assert.match(r.body, /could not get a response from an instance of service "web"/);
  assert.equal(hits, 1);
  assert.equal(good.hits, 0, 'never replayed on the other instance');

  // GET to the same pair is retried on the good one.
  const g = await send(port, HOST);
  assert.equal(g.status, 200);

  // An instance that refuses connections: the POST body never left, so it moves on.
  await proxy.update([inst('web', 'a-dead', 1), inst('web', 'b-good', good.port)]);
  for (let i = 0; i < 4; i++) {
    const p = await send(port, HOST, { method: 'POST', body: 'x=1' });
    assert.equal(p.status, 200);
    assert.match(p.body, /^good POST/);
  }
});

test('504 when the instance does not answer in time; 5xx from an instance passes through', async (t) => {
  const { createServer } = await import('node:http');
  const slow = createServer((req, res) => {
    if (req.url === '/500') return res.writeHead(500).end('boom');
  });
  await new Promise<void>((r) => slow.listen(0, '127.0.0.1', () => r()));
  const proxy = await createProxy({ httpAddr: '127.0.0.1:0', headersTimeoutMs: 200 });
  t.after(async () => {
    await proxy.stop();
    await closeServer(slow);
  });
  await proxy.update([inst('web', 'slow', (slow.address() as { port: number }).port)]);
  const port = proxy.httpAddress().port;
  const r = await send(port, HOST);
  assert.equal(r.status, 504);
  assert.match(r.body, /timed out waiting for an instance of service "web" \(UND_ERR_HEADERS_TIMEOUT/);
  const e = await send(port, HOST, { path: '/500' });
  assert.equal(e.status, 500);
  assert.equal(e.body, 'boom');
});

test('large bodies stream both ways', async (t) => {
  const b = await startBackend('a');
  const proxy = await createProxy({ httpAddr: '127.0.0.1:0' });
  t.after(async () => {
    await proxy.stop();
    await b.kill();
  });
  await proxy.update([inst('web', 'a', b.port)]);
  const size = 32 << 20;
  const chunk = Buffer.alloc(64 << 10);
  const sent = createHash('sha256');
  const got = createHash('sha256');
  let received = 0;
  await new Promise<void>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: proxy.httpAddress().port, method: 'PUT', path: '/echo', headers: { host: HOST } }, (res) => {
      assert.equal(res.statusCode, 200);
      res.on('data', (c: Buffer) => {
        received += c.length;
        got.update(c);
      });
      res.on('end', resolve);
    });
    req.on('error', reject);
    let written = 0;
    const pump = () => {
      while (written < size) {
        chunk.fill(written & 0xff);
        sent.update(chunk);
        written += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
  assert.equal(received, size);
  assert.equal(got.digest('hex'), sent.digest('hex'));
});

test('WebSocket echo through the proxy', async (t) => {
  const { WebSocketServer, WebSocket } = await import('ws');
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  wss.on('connection', (ws, req) => ws.on('message', (m, binary) => ws.send(binary ? m : `${req.headers['x-forwarded-for']}:${String(m)}`)));
  const proxy = await createProxy({ httpAddr: '127.0.0.1:0' });
  t.after(async () => {
    await proxy.stop();
    await new Promise((r) => wss.close(r));
  });
  await proxy.update([inst('ws', 'dead', 1), inst('ws', 'live', (wss.address() as { port: number }).port)]);
  for (let round = 0; round < 3; round++) {
    const ws = new WebSocket(`ws://127.0.0.1:${proxy.httpAddress().port}/chat`, { headers: { host: 'ws.service.cluster' } });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => ws.send('hello'));
      ws.once('message', (m) => {
        assert.equal(String(m), '127.0.0.1:hello');
        ws.close();
        resolve();
      });
      ws.once('error', reject);
    });
  }
});

test('a removed instance drains: its in-flight request finishes, new ones go elsewhere', async (t) => {
  const { createServer } = await import('node:http');
  const slow = createServer((_req, res) => void setTimeout(() => res.end('slow done'), 300));
  await new Promise<void>((r) => slow.listen(0, '127.0.0.1', () => r()));
  const b = await startBackend('b');
  const proxy = await createProxy({ httpAddr: '127.0.0.1:0' });
  t.after(async () => {
    await proxy.stop();
    await closeServer(slow);
    await b.kill();
  });
  const port = proxy.httpAddress().port;
  await proxy.update([inst('web', 'slow', (slow.address() as { port: number }).port)]);
  const pending = send(port, HOST);
  await eventually(() => proxy.metrics().services[0]?.instances[0]?.inFlight === 1, 1_000, 'request in flight');
  await proxy.update([inst('web', 'b', b.port)]);
  const during = proxy.metrics().services[0].instances.find((i) => i.id === 'slow')!;
  assert.equal(during.draining, true);
  assert.match((await send(port, HOST)).body, /^b GET/);
  const r = await pending;
  assert.equal(r.status, 200);
  assert.equal(r.body, 'slow done');
  await eventually(() => !proxy.metrics().services[0].instances.some((i) => i.id === 'slow'), 2_000, 'drained pool closed');
});

test('with --access-log all, one access log line per request, through the given pino logger', async (t) => {
  const { pino } = await import('pino');
  const { Writable } = await import('node:stream');
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write: (chunk, _enc, cb) => (lines.push(...String(chunk).split('\n').filter(Boolean).map((l) => JSON.parse(l))), cb()) });
  const b = await startBackend('a');
  const proxy = await createProxy({ httpAddr: '127.0.0.1:0', logger: pino({ level: 'info' }, sink), accessLog: 'all' });
  t.after(async () => {
    await proxy.stop();
    await b.kill();
  });
  await proxy.update([inst('web', 'a', b.port)]);
  await send(proxy.httpAddress().port, HOST, { path: '/x?y=1' });
  const access = await eventually(() => lines.find((l) => l.msg === 'access'), 5_000, 'access line');
  assert.equal(access.component, 'proxy');
  assert.equal(access.service, 'web');
  assert.equal(access.instance, 'a');
  assert.equal(access.status, 200);
  assert.equal(access.url, '/x?y=1');
  assert.equal(access.attempts, 1);
  assert.equal(typeof access.ms, 'number');
});
