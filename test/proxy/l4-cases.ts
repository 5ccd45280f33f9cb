/**
 * The L4 relay's behaviour over real loopback sockets, as cases run once per relay:
 * l4-native.test.ts (the C relay) and l4-js.test.ts (MAESTRO_NATIVE=0, Node sockets).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { createProxy, type Proxy } from '../../src/proxy/index.js';
import { eventually } from '../support/wait.js';
import { freePort, inst } from './helpers.js';

export interface Harness {
  proxy: Proxy;
  port: number;
  backend: Server;
  /** Access-log lines of closed tunnels. */
  closed: { bytesIn: number; bytesOut: number; reason: string }[];
  /** Every log line of the proxy (warnings included). */
  lines: { msg: string; level: number; [k: string]: unknown }[];
}

/** A proxy with one instance served by `handler`; torn down after the test. */
export async function harness(t: { after(fn: () => Promise<void>): void }, handler: (c: Socket) => void, opts: { l4IdleTimeoutMs?: number; l4StallTimeoutMs?: number; l4MaxConnections?: number } = {}): Promise<Harness> {
  const sockets = new Set<Socket>();
  const backend = createServer({ allowHalfOpen: true }, (c) => {
    sockets.add(c.once('close', () => sockets.delete(c)));
    handler(c);
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()));
  const port = await freePort();
  const closed: Harness['closed'] = [];
  const lines: Harness['lines'] = [];
  const sink = new Writable({
    // Access lines arrive in batches: several lines per write.
    write(chunk: Buffer, _enc, done) {
      for (const line of String(chunk).split('\n')) {
        if (!line) continue;
        const o = JSON.parse(line);
        lines.push(o);
        if (o.msg === 'L4 connection closed') closed.push(o);
      }
      done();
    },
  });
  const proxy = await createProxy({ httpAddr: '127.0.0.1:0', l4Bind: '127.0.0.1', logger: pino({ level: 'info' }, sink), accessLog: 'all', ...opts });
  await proxy.update([inst('svc', 'i1', (backend.address() as AddressInfo).port, { meta: { proxy_port: String(port) } })]);
  t.after(async () => {
    await proxy.stop();
    for (const c of sockets) c.destroy();
    await new Promise((r) => backend.close(r));
  });
  return { proxy, port, backend, closed, lines };
}

export const echo = (c: Socket) => c.pipe(c);

export function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const c = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    c.once('connect', () => resolve(c)).once('error', reject);
  });
}

/** Everything `c` receives until its peer's FIN (or close). */
export function readAll(c: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    c.on('data', (d: Buffer) => chunks.push(d));
    c.once('end', () => resolve(Buffer.concat(chunks)));
    c.once('close', () => resolve(Buffer.concat(chunks)));
    c.once('error', reject);
  });
}

export const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export function pattern(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4) b.writeUInt32LE((Math.imul(i, 2654435761) ^ seed) >>> 0, i);
  return b;
}

export function service(h: Harness) {
  return h.proxy.metrics().services.find((s) => s.service === 'svc')!;
}

/** Nothing left open: the in-flight count, the active count and (native) the addon's tunnels. */
export async function settled(h: Harness, nativeActive?: () => number): Promise<void> {
  await eventually(() => service(h).activeConnections === 0 && service(h).instances[0].inFlight === 0 && (nativeActive?.() ?? 0) === 0, 2_000, 'tunnels closed, in-flight back to 0');
  // Access lines leave in batches (a timer after the close): wait for the line of every relayed pair.
  const s = service(h);
  await eventually(() => h.closed.length >= s.connections - s.failedConnections, 2_000, 'the access line of every closed pair');
}

export function l4Cases(label: string, nativeActive?: () => number): void {
  test(`${label}: 32 MB echoed both ways byte-exact, counted in the access log`, async (t) => {
    const h = await harness(t, echo);
    const payload = pattern(32 << 20, 7);
    const c = await open(h.port);
    const got = readAll(c);
    c.end(payload);
    const back = await got;
    assert.equal(back.length, payload.length);
    assert.equal(sha(back), sha(payload));
    await settled(h, nativeActive);
    assert.equal(h.closed.length, 1);
    assert.deepEqual([h.closed[0].bytesIn, h.closed[0].bytesOut, h.closed[0].reason], [32 << 20, 32 << 20, 'eof']);
  });

  test(`${label}: a server that speaks first (greeting before the client sends a byte)`, async (t) => {
    const h = await harness(t, (c) => {
      c.write('220 ready\n');
      c.pipe(c);
    });
    for (let i = 0; i < 20; i++) {
      const c = await open(h.port);
      const greeting = await new Promise<string>((r) => c.once('data', (d) => r(String(d))));
      assert.equal(greeting, '220 ready\n');
      // the greeting did not land in JavaScript (which would have kept this pair off the native relay)
      if (nativeActive) assert.equal(nativeActive(), 1);
      const rest = readAll(c);
      c.end(`ping ${i}`);
      assert.equal(String(await rest), `ping ${i}`);
    }
    await settled(h, nativeActive);
  });

  test(`${label}: half-close: the client ends its side and still receives the reply`, async (t) => {
    const h = await harness(t, (c) => {
      let n = 0;
      c.on('data', (d: Buffer) => (n += d.length));
      c.on('end', () => setTimeout(() => c.end(`got ${n} bytes`), 50));
    });
    const c = await open(h.port);
    const reply = readAll(c);
    c.write('a'.repeat(1000));
    c.end('b'.repeat(24));
    assert.equal(String(await reply), 'got 1024 bytes');
    c.end();
    await settled(h, nativeActive);
    assert.equal(h.closed[0].reason, 'eof');
  });

  test(`${label}: the instance closes first; the client sees its bytes then the FIN`, async (t) => {
    const h = await harness(t, (c) => c.end('bye\n'));
    const c = await open(h.port);
    assert.equal(String(await readAll(c)), 'bye\n');
    // the other direction still flows until the client ends it too
    c.end('late');
    await settled(h, nativeActive);
  });

  test(`${label}: a client reset closes the instance side`, async (t) => {
    let upstream: Socket | undefined;
    const h = await harness(t, (c) => {
      upstream = c;
      c.on('error', () => undefined);
      c.resume();
      c.write('hello');
    });
    const c = await open(h.port);
    await new Promise((r) => c.once('data', r));
    // the instance sees its side end (FIN or reset) rather than a connection left hanging
    const upClosed = new Promise((r) => upstream!.once('end', r).once('close', r));
    c.resetAndDestroy();
    await upClosed;
    await settled(h, nativeActive);
    assert.notEqual(h.closed[0].reason, 'idle');
  });

  test(`${label}: an instance reset closes the client side`, async (t) => {
    const h = await harness(t, (c) => c.once('data', () => c.resetAndDestroy()));
    const c = await open(h.port);
    c.on('error', () => undefined);
    const ended = new Promise((r) => c.once('end', r).once('close', r).resume());
    c.write('go');
    await ended;
    await settled(h, nativeActive);
    assert.equal(h.closed[0].reason, 'ECONNRESET');
  });

  test(`${label}: an idle pair is closed on both sides`, async (t) => {
    let upEnded: Promise<unknown> | undefined;
    const h = await harness(t, (c) => (upEnded = new Promise((r) => c.on('error', () => undefined).once('end', r).resume())), { l4IdleTimeoutMs: 200 });
    const t0 = Date.now();
    const c = await open(h.port);
    const clientEnded = new Promise((r) => c.on('error', () => undefined).once('end', r).once('close', r).resume());
    await eventually(() => upEnded !== undefined, 1_000, 'instance connected');
    await Promise.all([clientEnded, upEnded]);
    const ms = Date.now() - t0;
    assert.ok(ms >= 150 && ms < 2_000, `idled out after ${ms} ms`);
    await settled(h, nativeActive);
    assert.equal(h.closed[0].reason, 'idle');
  });

  test(`${label}: 200 concurrent connections each echo their own bytes`, async (t) => {
    const h = await harness(t, echo);
    const results = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const payload = pattern(4096 + i * 96, i);
        const c = await open(h.port);
        const got = readAll(c);
        c.end(payload);
        return sha(await got) === sha(payload);
      }),
    );
    assert.equal(results.filter(Boolean).length, 200);
    await settled(h, nativeActive);
    assert.equal(service(h).connections, 200);
  });

  test(`${label}: the connection limit counts relayed pairs; a freed slot is reusable`, async (t) => {
    const h = await harness(t, echo, { l4MaxConnections: 2 });
    const held = [await open(h.port), await open(h.port)];
    for (const c of held) {
      c.write('x');
      await new Promise((r) => c.once('data', r));
    }
    const refused = await open(h.port).then(readAll, (err: NodeJS.ErrnoException) => err.code);
    assert.ok(refused === 'ECONNRESET' || (Buffer.isBuffer(refused) && refused.length === 0), `third refused, got ${refused}`);
    held[0].end();
    await eventually(() => service(h).activeConnections === 1, 2_000, 'one slot freed');
    const again = await open(h.port);
    const reply = readAll(again);
    again.end('again');
    assert.equal(String(await reply), 'again');
    held[1].end();
    await settled(h, nativeActive);
  });

  test(`${label}: stop() cuts live tunnels`, async (t) => {
    const h = await harness(t, echo);
    const clients = await Promise.all(Array.from({ length: 5 }, () => open(h.port)));
    for (const c of clients) {
      c.on('error', () => undefined);
      c.write('x');
      await new Promise((r) => c.once('data', r));
    }
    if (nativeActive) assert.equal(nativeActive(), 5, 'the native relay carries them');
    const closed = Promise.all(clients.map((c) => new Promise((r) => c.once('end', r).once('close', r))));
    await h.proxy.stop();
    await closed;
    assert.equal(service(h).activeConnections, 0);
    assert.equal(nativeActive?.() ?? 0, 0);
    assert.ok(h.closed.every((l) => l.reason === 'closed'));
  });
}
