/** L4 behaviour over real sockets: a node echo server as the instance, proxy ports picked free. */
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { test } from 'node:test';
import { createProxy } from '../../src/proxy/index.js';
import { eventually } from '../support/wait.js';
import { freePort, inst } from './helpers.js';

async function echoServer(): Promise<Server> {
  // allowHalfOpen + pipe to itself: echoes, and answers a FIN with a FIN after the echo.
  const s = createServer({ allowHalfOpen: true }, (c) => c.pipe(c));
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return s;
}

/** Sends `text`, half-closes, and collects everything until the proxy's FIN. */
function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    let got = '';
    c.on('data', (d) => (got += d));
    c.on('end', () => {
      c.end();
      resolve(got);
    });
    c.on('error', reject);
    c.on('connect', () => c.end(text));
  });
}

test('L4: echo through the proxy port, dead instance skipped, half-close kept', async (t) => {
  const echo = await echoServer();
  const proxyPort = await freePort();
  const proxy = await createProxy({ httpAddr: '127.0.0.1:0', l4Bind: '127.0.0.1', policy: 'round-robin' });
  t.after(async () => {
    await proxy.stop();
    await new Promise((r) => echo.close(r));
  });
  const meta = { proxy_port: String(proxyPort) };
  await proxy.update([inst('echo', 'a-dead', 1, { meta }), inst('echo', 'b-live', (echo.address() as AddressInfo).port, { meta })]);
  assert.deepEqual(proxy.l4Ports(), [proxyPort]);
  for (let i = 0; i < 6; i++) assert.equal(await roundTrip(proxyPort, `hello ${i}`), `hello ${i}`);

  const m = proxy.metrics().services.find((s) => s.service === 'echo')!;
  assert.equal(m.connections, 6);
  assert.equal(m.failedConnections, 0);
  assert.ok(m.instances.find((i) => i.id === 'a-dead')!.connectErrors >= 1);
  assert.equal(m.instances.find((i) => i.id === 'b-live')!.connections, 6);
  await eventually(() => proxy.metrics().services[0].activeConnections === 0, 1_000, 'connections closed');
});

test('L4: listeners open and close as services appear and disappear; no instance closes the client', async (t) => {
  const echo = await echoServer();
  const [p1, p2] = [await freePort(), await freePort()];
  const proxy = await createProxy({ httpAddr: '127.0.0.1:0', l4Bind: '127.0.0.1', l4IdleTimeoutMs: 300 });
  t.after(async () => {
    await proxy.stop();
    await new Promise((r) => echo.close(r));
  });
  const echoPort = (echo.address() as AddressInfo).port;
  await proxy.update([inst('one', 'x', echoPort, { meta: { proxy_port: String(p1) } })]);
  assert.deepEqual(proxy.l4Ports(), [p1]);
  await proxy.update([inst('two', 'y', echoPort, { meta: { proxy_port: String(p2) } })]);
  assert.deepEqual(proxy.l4Ports(), [p2]);
  await assert.rejects(roundTrip(p1, 'x'), /ECONNREFUSED/);
  assert.equal(await roundTrip(p2, 'via two'), 'via two');

  // Idle timeout: a silent connection is closed by the proxy.
  const idle = connect({ host: '127.0.0.1', port: p2 });
  const t0 = Date.now();
  await new Promise((r) => idle.on('close', r).on('error', () => undefined));
  assert.ok(Date.now() - t0 < 2_000);

  // …while a connection that keeps talking outlives the idle timeout several times over.
  const chatty = connect({ host: '127.0.0.1', port: p2 });
  let echoed = '';
  chatty.on('data', (d) => (echoed += d.toString()));
  for (let i = 0; i < 10; i++) {
    chatty.write(`${i}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(chatty.destroyed, false, 'an active tunnel is not idled out');
  assert.equal(echoed, '0123456789');
  chatty.destroy();

  // Every instance dead: the client is closed rather than left hanging.
  await proxy.update([inst('two', 'dead', 1, { meta: { proxy_port: String(p2) } })]);
  // (a reset or an empty close, depending on whether the kernel still held the unread bytes)
  const outcome = await roundTrip(p2, 'lost').catch((err: NodeJS.ErrnoException) => err.code);
  assert.ok(outcome === '' || outcome === 'ECONNRESET', `closed, got ${outcome}`);
  assert.equal(proxy.metrics().services[0].failedConnections, 1);
});

test('L4: a large stream survives back-pressure both ways', async (t) => {
  const echo = await echoServer();
  const proxyPort = await freePort();
  const proxy = await createProxy({ httpAddr: '127.0.0.1:0', l4Bind: '127.0.0.1' });
  t.after(async () => {
    await proxy.stop();
    await new Promise((r) => echo.close(r));
  });
  await proxy.update([inst('echo', 'e', (echo.address() as AddressInfo).port, { meta: { proxy_port: String(proxyPort) } })]);
  const payload = Buffer.alloc(16 << 20);
  for (let i = 0; i < payload.length; i += 4096) payload[i] = i & 0xff;
  const got = await new Promise<Buffer>((resolve, reject) => {
    const c = connect({ host: '127.0.0.1', port: proxyPort, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    c.on('data', (d: Buffer) => {
      chunks.push(d);
      // read slowly at first so the proxy has to hold the instance back
      if (chunks.length === 1) {
        c.pause();
        setTimeout(() => c.resume(), 200);
      }
    });
    c.on('end', () => {
      c.end();
      resolve(Buffer.concat(chunks));
    });
    c.on('error', reject);
    c.end(payload);
  });
  assert.equal(got.length, payload.length);
  assert.ok(got.equals(payload));
});

test('L4: connections beyond the limit are closed at once; stop() closes open tunnels', async (t) => {
  const echo = await echoServer();
  const proxyPort = await freePort();
  const proxy = await createProxy({ httpAddr: '127.0.0.1:0', l4Bind: '127.0.0.1', l4MaxConnections: 1 });
  t.after(async () => {
    await proxy.stop();
    await new Promise((r) => echo.close(r));
  });
  await proxy.update([inst('echo', 'e', (echo.address() as AddressInfo).port, { meta: { proxy_port: String(proxyPort) } })]);
  const first = connect({ host: '127.0.0.1', port: proxyPort });
  await new Promise<void>((resolve) => {
    first.once('data', () => resolve());
    first.write('hold\n');
  });
  const second = await roundTrip(proxyPort, 'refused').catch((err: NodeJS.ErrnoException) => err.code);
  assert.ok(second === '' || second === 'ECONNRESET', `second connection closed, got ${second}`);
  first.write('still here\n');
  await new Promise<void>((resolve) => first.once('data', (d) => (assert.equal(String(d), 'still here\n'), resolve())));
  // stop() cuts the tunnels that outlive the listeners
  const closed = new Promise((r) => first.once('close', r));
  first.on('error', () => undefined);
  await proxy.stop();
  await closed;
});

test('L4 follows the catalog: a proxy_port instance opens its listener, deregistering closes it', async (t) => {
  const { createEmbeddedCatalog } = await import('../../src/catalog/embedded/index.js');
  const { startProxy } = await import('../../src/proxy/index.js');
  const catalog = createEmbeddedCatalog();
  const echo = await echoServer();
  const proxyPort = await freePort();
  const proxy = await startProxy({ catalog, httpAddr: '127.0.0.1:0', l4Bind: '127.0.0.1' });
  t.after(async () => {
    await proxy.stop();
    await catalog.close();
    await new Promise((r) => echo.close(r));
  });
  await catalog.registerInstance(inst('echo', 'e', (echo.address() as AddressInfo).port, { meta: { proxy_port: String(proxyPort) } }));
  await eventually(() => proxy.l4Ports().includes(proxyPort), 1_000, 'listener to open');
  assert.equal(await roundTrip(proxyPort, 'via catalog'), 'via catalog');
  await catalog.deregisterInstance('e');
  await eventually(() => proxy.l4Ports().length === 0, 1_000, 'listener to close');
});
