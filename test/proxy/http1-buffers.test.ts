/**
 * Instance connections read into one reused buffer each (pool.ts): a view of it that a pending write
 * still holds must never be overwritten by the next read. These tests make the client slow (writes
 * to it stay pending), send random bytes through every path that writes such views (Content-Length,
 * chunked passed through, chunked de-chunked for HTTP/1.0, upgrade tunnel) and compare them whole.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import { createProxy } from '../../src/proxy/index.js';
import { inst } from './helpers.js';

const HOST = 'web.service.cluster';
const SIZE = 12 << 20;
const PAYLOAD = randomBytes(SIZE);

/** A backend that answers the first request head on each connection with `head` then `body` pieces. */
async function backend(t: TestContext, head: string, pieces: Buffer[]): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    let seen = '';
    const onData = (d: Buffer) => {
      seen += d.toString('latin1');
      if (!seen.includes('\r\n\r\n')) return;
      s.off('data', onData);
      s.write(head);
      let i = 0;
      const pump = () => {
        while (i < pieces.length) if (!s.write(pieces[i++])) return void s.once('drain', pump);
        s.end();
      };
      pump();
    };
    s.on('data', onData);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return (server.address() as AddressInfo).port;
}

/** Sends `raw`, stops reading for a while (so the proxy's writes queue up), then reads until close. */
function slowClient(port: number, raw: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const c = connect({ host: '127.0.0.1', port });
    const parts: Buffer[] = [];
    let stalled = false;
    c.on('data', (d: Buffer) => {
      parts.push(d);
      if (stalled) return;
      stalled = true;
      c.pause();
      setTimeout(() => c.resume(), 300);
    });
    c.on('end', () => c.end());
    c.on('close', () => resolve(Buffer.concat(parts)));
    c.on('error', reject);
    c.write(raw);
  });
}

function split(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

function chunked(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (const piece of split(buf, 50_000)) out.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
  out.push(Buffer.from('0\r\n\r\n'));
  return out;
}

async function proxyTo(t: TestContext, port: number): Promise<number> {
  const proxy = await createProxy({ httpAddr: '127.0.0.1:0' });
  t.after(() => proxy.stop());
  await proxy.update([inst('web', 'a', port)]);
  return proxy.httpAddress().port;
}

/** The bytes after the response head. */
function body(res: Buffer): Buffer {
  const i = res.indexOf('\r\n\r\n');
  assert.notEqual(i, -1, 'a response head');
  return res.subarray(i + 4);
}

test('Content-Length body to a slow client arrives intact', async (t) => {
  const port = await proxyTo(t, await backend(t, `HTTP/1.1 200 OK\r\ncontent-length: ${SIZE}\r\n\r\n`, split(PAYLOAD, 64 << 10)));
  const res = await slowClient(port, `GET / HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`);
  assert.match(res.toString('latin1', 0, 20), /^HTTP\/1\.1 200 /);
  assert.ok(body(res).equals(PAYLOAD));
});

test('chunked body to a slow client: passed through unchanged (HTTP/1.1), de-chunked (HTTP/1.0)', async (t) => {
  const pieces = chunked(PAYLOAD);
  const port = await proxyTo(t, await backend(t, 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n', pieces));
  const res11 = await slowClient(port, `GET / HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`);
  assert.ok(body(res11).equals(Buffer.concat(pieces)));
  const res10 = await slowClient(port, `GET / HTTP/1.0\r\nHost: ${HOST}\r\n\r\n`);
  assert.ok(body(res10).equals(PAYLOAD));
});

test('upgrade tunnel to a slow client arrives intact', async (t) => {
  const port = await proxyTo(t, await backend(t, 'HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: bytes\r\n\r\n', split(PAYLOAD, 64 << 10)));
  const res = await slowClient(port, `GET / HTTP/1.1\r\nHost: ${HOST}\r\nConnection: upgrade\r\nUpgrade: bytes\r\n\r\n`);
  assert.match(res.toString('latin1', 0, 20), /^HTTP\/1\.1 101 /);
  assert.ok(body(res).equals(PAYLOAD));
});
