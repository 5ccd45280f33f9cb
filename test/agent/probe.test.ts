/**
 * The agent's HTTP/TCP probe against real loopback servers, including ones that answer badly on
 * purpose: nothing a container sends may crash the agent or hold a probe past its deadline. The
 * verdict on raw answers is judged against curl (a well-known HTTP client) on the same bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { BODY_KEPT, probe } from '../../src/agent/checks/probe.js';
import type { CheckSpec } from '../../src/agent/checks/policy.js';
import { closedPort } from '../cli/helpers.js';

const http = (timeoutMs = 1000, path = '/health'): CheckSpec => ({ kind: 'http', path, intervalMs: 10_000, timeoutMs });
const tcp = (timeoutMs = 1000): CheckSpec => ({ kind: 'tcp', intervalMs: 10_000, timeoutMs });

/** A raw TCP server that answers every connection with `answer(socket, request head)`. */
async function rawServer(answer: (s: Socket, head: string) => void): Promise<{ port: number; server: Server; requests: string[] }> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    let head = '';
    s.on('data', (d) => {
      head += d.toString('latin1');
      if (head.includes('\r\n\r\n')) {
        requests.push(head);
        answer(s, head);
        head = '';
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const close = server.close.bind(server);
  server.close = ((cb?: (err?: Error) => void) => {
    for (const s of sockets) s.destroy();
    return close(cb);
  }) as typeof server.close;
  return { port: (server.address() as { port: number }).port, server, requests };
}

const at = (port: number) => ({ host: '127.0.0.1', port });

test('http: 2xx and 3xx pass with the status line; the request is a plain GET of the path', async (t) => {
  const srv = await rawServer((s, head) => s.end(head.startsWith('GET /health ') ? 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok' : 'HTTP/1.1 404 Not Found\r\n\r\n'));
  t.after(() => srv.server.close());
  assert.deepEqual(await probe(http(), at(srv.port)), { ok: true, output: 'HTTP 200 OK' });
  assert.match(srv.requests[0]!, /^GET \/health HTTP\/1\.1\r\n/);
  assert.match(srv.requests[0]!, new RegExp(`\\r\\nhost: 127\\.0\\.0\\.1:${srv.port}\\r\\n`, 'i'));
  const moved = await rawServer((s) => s.end('HTTP/1.1 301 Moved Permanently\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n'));
  t.after(() => moved.server.close());
  assert.deepEqual(await probe(http(), at(moved.port)), { ok: true, output: 'HTTP 301 Moved Permanently' });
});

test('http: a failing answer keeps its status and the start of its body, made printable', async (t) => {
  const srv = await rawServer((s) => s.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 25\r\n\r\ndb down\r\n\x1b[31mred\x07 now!!'));
  t.after(() => srv.server.close());
  assert.deepEqual(await probe(http(), at(srv.port)), { ok: false, output: 'HTTP 503 Service Unavailable: db down [31mred now!!' });
});

test('http: a refused connection and a closed socket are failures that say so', async (t) => {
  const port = await closedPort();
  const refused = await probe(http(), at(port));
  assert.equal(refused.ok, false);
  assert.match(refused.output, /ECONNREFUSED 127\.0\.0\.1:\d+/);
  const hangUp = await rawServer((s) => s.destroy());
  t.after(() => hangUp.server.close());
  const r = await probe(http(), at(hangUp.port));
  assert.equal(r.ok, false);
  assert.match(r.output, /socket hang up|ECONNRESET/);
});

test('http: a server that never answers, trickles its head or sends an endless failing body ends at the deadline or the body cap', async (t) => {
  const silent = await rawServer(() => undefined);
  const trickle = await rawServer((s) => {
    s.write('HTTP/1.1 200 OK\r\n');
    const timer = setInterval(() => (s.writable ? s.write('X-Slow: 1\r\n') : clearInterval(timer)), 50);
    s.on('close', () => clearInterval(timer));
  });
  const endless = await rawServer((s) => {
    s.write('HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n');
    const timer = setInterval(() => (s.writable ? s.write('400\r\n' + 'e'.repeat(0x400) + '\r\n') : clearInterval(timer)), 5);
    s.on('close', () => clearInterval(timer));
  });
  t.after(() => Promise.all([silent, trickle, endless].map((x) => new Promise((r) => x.server.close(r)))));
  assert.deepEqual(await probe(http(300), at(silent.port)), { ok: false, output: 'timed out after 300ms' });
  assert.deepEqual(await probe(http(300), at(trickle.port)), { ok: false, output: 'timed out after 300ms' });
  const r = await probe(http(5000), at(endless.port));
  assert.equal(r.ok, false);
  assert.ok(r.output.startsWith(`HTTP 500 Internal Server Error: ${'e'.repeat(200)}…`), r.output);
  assert.ok(r.output.length < BODY_KEPT, 'the output is bounded');
});

test('http: malformed and oversized answers are failures, never a crash', async (t) => {
  const cases: Array<[string, string | Buffer]> = [
    ['garbage', 'HELLO WORLD\r\n\r\n'],
    ['bad status code', 'HTTP/1.1 2000 OK\r\n\r\n'],
    ['NUL in a header', 'HTTP/1.1 200 OK\r\nX: a\x00b\r\n\r\n'],
    ['header overflow', `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`],
    ['bare LF line folding', 'HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n'],
    ['two content lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab'],
  ];
  for (const [name, bytes] of cases) {
    const srv = await rawServer((s) => s.end(bytes));
    const r = await probe(http(1000), at(srv.port));
    await new Promise((res) => srv.server.close(res));
    assert.equal(r.ok, false, `${name}: ${r.output}`);
    assert.doesNotMatch(r.output, /timed out/, `${name} fails at once, not at the deadline`);
  }
});

/** curl's verdict on the same answer: passes when it read a whole answer with a 2xx/3xx status. */
function curlVerdict(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '2', `http://127.0.0.1:${port}/health`], (err, stdout) => {
      const code = Number(stdout);
      resolve(!err && code >= 200 && code < 400);
    });
  });
}

test('differential: the probe and curl agree on which raw answers pass', async () => {
  const answers = [
    'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
    'HTTP/1.0 204 No Content\r\n\r\n',
    'HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n',
    'HTTP/1.1 399 Odd\r\nContent-Length: 0\r\n\r\n',
    'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n',
    'HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno!',
    'HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n',
    'HTTP/1.1 199 Early\r\nContent-Length: 0\r\n\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n',
    'HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n',
    'NOT HTTP AT ALL\r\n\r\n',
    'HTTP/1.1 abc Bad\r\n\r\n',
    '',
  ];
  let compared = 0;
  for (const answer of answers) {
    const srv = await rawServer((s) => s.end(answer));
    const mine = (await probe(http(2000), at(srv.port))).ok;
    const theirs = await curlVerdict(srv.port);
    await new Promise((res) => srv.server.close(res));
    assert.equal(mine, theirs, `verdicts differ on ${JSON.stringify(answer)}`);
    compared++;
  }
  assert.equal(compared, answers.length);
});

test('tcp: a listening port passes, a closed one fails; a cancelled probe ends at once', async (t) => {
  const srv = await rawServer(() => undefined);
  t.after(() => srv.server.close());
  assert.deepEqual(await probe(tcp(), at(srv.port)), { ok: true, output: `TCP connect 127.0.0.1:${srv.port}: connected` });
  const refused = await probe(tcp(), at(await closedPort()));
  assert.equal(refused.ok, false);
  assert.match(refused.output, /ECONNREFUSED/);
  const ac = new AbortController();
  const pending = probe(http(60_000), at(srv.port), ac.signal);
  ac.abort();
  assert.deepEqual(await pending, { ok: false, output: 'probe cancelled' });
});
