/**
 * One client must never act on another's traffic: `Connection` cannot strip framing or routing
 * fields (request smuggling, response splitting), and an instance that answers one time too many
 * cannot shift later answers onto the wrong clients. Node's http server (llhttp, strict) is the
 * instance where what it parses is the question.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { type AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { answering, closeServer, proxyFor, rawBackend, rawExchange, send } from './helpers.js';

const HOST = 'web.service.cluster';

/** An llhttp instance that records every request it parses (method, url, headers, body length). */
async function recordingBackend(t: TestContext) {
  const seen: { method: string; url: string; headers: IncomingHttpHeaders; bodyBytes: number }[] = [];
  const server = createServer((req, res) => {
    let bodyBytes = 0;
    req.on('data', (d: Buffer) => (bodyBytes += d.length));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, bodyBytes });
      res.end(`${req.method} ${req.url}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => closeServer(server));
  return { port: (server.address() as AddressInfo).port, seen };
}

test('Connection: Content-Length cannot smuggle a second request to the instance', async (t) => {
  const b = await recordingBackend(t);
  const proxy = await proxyFor(t, b.port);
  const smuggled = `GET /SMUGGLED HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`;
  assert.equal(smuggled.length, 53);
  for (const connection of ['Content-Length', 'keep-alive, content-length', 'Transfer-Encoding']) {
    const framing = connection === 'Transfer-Encoding' ? 'Transfer-Encoding: chunked\r\n' : 'Content-Length: 53\r\n';
    const body = connection === 'Transfer-Encoding' ? `35\r\n${smuggled}\r\n0\r\n\r\n` : smuggled;
    const got = await rawExchange(
      proxy.httpAddress().port,
      `POST /p HTTP/1.1\r\nHost: ${HOST}\r\nConnection: ${connection}\r\n${framing}\r\n${body}GET /next HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`,
    );
    assert.deepEqual([...got.matchAll(/\r\n\r\n([A-Z]+ \/(?:p|next))/g)].map((m) => m[1]), ['POST /p', 'GET /next'], connection);
  }
  assert.deepEqual(
    b.seen.map((r) => `${r.method} ${r.url} ${r.bodyBytes}`),
    ['POST /p 53', 'GET /next 0', 'POST /p 53', 'GET /next 0', 'POST /p 53', 'GET /next 0'],
  );
  assert.ok(b.seen.every((r) => r.url !== '/SMUGGLED'));
});

test('Connection: Host cannot make the proxy forward an HTTP/1.1 request without Host', async (t) => {
  const b = await recordingBackend(t);
  const proxy = await proxyFor(t, b.port);
  const r = await send(proxy.httpAddress().port, HOST, { path: '/h', headers: { connection: 'keep-alive, Host, X-Private', 'x-private': 'p' } });
  assert.equal(r.status, 200);
  assert.equal(b.seen.length, 1);
  assert.equal(b.seen[0]!.headers.host, HOST);
  assert.equal(b.seen[0]!.headers['x-private'], undefined, 'other named fields are still dropped');
});

test('response path: Connection: Content-Length cannot split one response into two for the client', async (t) => {
  const inner = 'HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nSPOOFED';
  const port = await rawBackend(
    t,
    answering((head) => {
      if (head.startsWith('GET /first')) return `HTTP/1.1 200 OK\r\nConnection: Content-Length\r\nContent-Length: ${inner.length}\r\n\r\n${inner}`;
      return 'HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond';
    }),
  );
  const proxy = await proxyFor(t, port);
  const p = proxy.httpAddress().port;
  // Two requests on one client connection: the second answer must be the instance's second answer.
  const got = await rawExchange(p, [`GET /first HTTP/1.1\r\nHost: ${HOST}\r\n\r\nGET /second HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`], /second$/);
  const first = got.indexOf('\r\n\r\n');
  assert.match(got.slice(0, first), new RegExp(`\\r\\nContent-Length: ${inner.length}(\\r\\n|$)`));
  assert.ok(got.endsWith(`\r\n\r\n${inner}HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond`), JSON.stringify(got));
});

/**
 * The instance answers the first request twice. Its first answer fills the connection's 16 KiB
 * read buffer exactly (pool.ts), so the extra one is read separately, right after the first
 * completed: where the old engine had already handed the connection to the next waiting request.
 */
async function extraAnswerBackend(t: TestContext, extra: (tag: string) => string): Promise<number> {
  let extraSent = false;
  return rawBackend(
    t,
    answering((head) => {
      const tag = head.split(' ')[1]!;
      const body = head.startsWith('HEAD') ? '' : `for ${tag}`;
      if (extraSent) return `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
      extraSent = true;
      const bare = `HTTP/1.1 200 OK\r\nContent-Length: ${`for ${tag}`.length}\r\nX-Pad: \r\n\r\n${body}`;
      const first = bare.replace('X-Pad: ', `X-Pad: ${'p'.repeat(16 * 1024 - bare.length)}`);
      assert.equal(first.length, 16 * 1024);
      return first + extra(tag);
    }),
  );
}

for (const [name, extra, firstMethod] of [
  ['one response too many', (tag: string) => `HTTP/1.1 200 OK\r\nContent-Length: ${`for ${tag}`.length}\r\n\r\nfor ${tag}`, 'GET'],
  ['a body after a HEAD answer', (tag: string) => `for ${tag}`, 'HEAD'],
] as const) {
  test(`desync: ${name} never reaches another client (50 following clients each get their own answer)`, async (t) => {
    const port = await extraAnswerBackend(t, extra);
    const proxy = await proxyFor(t, port, { connectionsPerInstance: 1 });
    const p = proxy.httpAddress().port;
    const first = send(p, HOST, { path: '/c0', method: firstMethod });
    const rest = Array.from({ length: 50 }, (_, i) => send(p, HOST, { path: `/c${i + 1}` }));
    const replies = await Promise.all([first, ...rest]);
    assert.equal(replies[0]!.status, 200);
    const wrong = replies.slice(1).flatMap((r, i) => (r.status === 200 && r.body === `for /c${i + 1}` ? [] : [`/c${i + 1} got ${r.status} ${r.body}`]));
    assert.deepEqual(wrong, []);
  });
}
