/** The HTTP/1 engine's pure parts: head parsing (smuggling defences), body framing, head rewriting. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChunkedDecoder, ChunkedError } from '../../src/proxy/http1/chunked.js';
import { Body, earlyHeadError, fieldsOf, HeadError, headText, parseRequestHead, parseResponseHead } from '../../src/proxy/http1/parse.js';
import { clientResponseHead, upstreamRequestHead } from '../../src/proxy/http1/reply.js';

const CHUNKED = '4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: 1\r\n\r\n';
const NEXT = 'HTTP/1.1 200 OK\r\n';

/** Feeds `parts` in order; returns [offset in the last part where the body ended, payload]. */
function decode(parts: Buffer[]): { end: number; part: number; payload: string } {
  const d = new ChunkedDecoder();
  let payload = '';
  for (let p = 0; p < parts.length; p++) {
    const at = d.feed(parts[p], 0, parts[p].length, (b, s, e) => (payload += b.toString('latin1', s, e)));
    if (at !== -1) return { end: at, part: p, payload };
  }
  return { end: -1, part: -1, payload };
}

test('chunked: the end is found wherever the bytes are split (every one and two cut points)', () => {
  const whole = Buffer.from(CHUNKED + NEXT, 'latin1');
  const bodyLen = CHUNKED.length;
  const expected = 'Wikipedia in\r\n\r\nchunks.';
  assert.deepEqual(decode([whole]), { end: bodyLen, part: 0, payload: expected });
  for (let i = 0; i <= whole.length; i++) {
    const r = decode([whole.subarray(0, i), whole.subarray(i)]);
    assert.equal(r.payload, expected, `cut at ${i}`);
    assert.equal(i >= bodyLen ? r.end : i + r.end, bodyLen, `cut at ${i}`);
    for (let j = i; j <= whole.length; j += 3) {
      const r3 = decode([whole.subarray(0, i), whole.subarray(i, j), whole.subarray(j)]);
      assert.equal(r3.payload, expected, `cuts at ${i}, ${j}`);
    }
  }
  const bytes = Array.from(whole, (b) => Buffer.from([b]));
  const one = decode(bytes);
  assert.equal(one.part, bodyLen - 1);
  assert.equal(one.end, 1);
});

test('chunked: malformed framing is refused', () => {
  for (const bad of ['x\r\n', '4\nWiki\r\n0\r\n\r\n', '4\r\nWikiX\r\n', '\r\n', '4\r\nWiki\r\n0\r\n\n', '4\r\nWiki\r\n0\r\nA: 1\n\r\n', 'fffffffffffffff\r\n']) {
    assert.throws(() => new ChunkedDecoder().feed(Buffer.from(bad), 0, bad.length), ChunkedError, JSON.stringify(bad));
  }
});

const req = (lines: string[]) => parseRequestHead(lines.join('\r\n'));
const status = (lines: string[]) => {
  try {
    req(lines);
    return 0;
  } catch (err) {
    assert.ok(err instanceof HeadError);
    return err.status;
  }
};

test('request heads: framing, keep-alive, upgrade', () => {
  const get = req(['GET /a?b=1 HTTP/1.1', 'Host: web.service.cluster', 'X-A:  spaced  ']);
  assert.equal(get.method, 'GET');
  assert.equal(get.target, '/a?b=1');
  assert.equal(get.host, 'web.service.cluster');
  assert.equal(get.body, Body.None);
  assert.equal(get.keepAlive, true);
  assert.deepEqual(fieldsOf(get), ['Host', 'web.service.cluster', 'X-A', 'spaced']);
  const post = req(['POST / HTTP/1.1', 'Host: a', 'Content-Length: 12', 'Connection: close']);
  assert.equal(post.body, Body.Length);
  assert.equal(post.length, 12);
  assert.equal(post.keepAlive, false);
  assert.equal(req(['POST / HTTP/1.1', 'Host: a', 'Content-Length: 5, 5']).length, 5);
  assert.equal(req(['PUT / HTTP/1.1', 'Host: a', 'transfer-encoding: gzip, Chunked']).body, Body.Chunked);
  assert.equal(req(['GET / HTTP/1.0']).keepAlive, false);
  assert.equal(req(['GET / HTTP/1.0', 'Connection: Keep-Alive']).keepAlive, true);
  assert.equal(req(['GET / HTTP/1.1', 'Host: a', 'Connection: keep-alive, Upgrade', 'Upgrade: websocket']).upgrade, true);
  assert.equal(req(['GET / HTTP/1.1', 'Host: a', 'Upgrade: websocket']).upgrade, false);
});

test('request heads: smuggling and malformed input → 400 (431, 505)', () => {
  const cases: [string[], number][] = [
    [['POST / HTTP/1.1', 'Host: a', 'Transfer-Encoding: chunked', 'Content-Length: 3'], 400],
    [['POST / HTTP/1.1', 'Host: a', 'Content-Length: 3', 'Transfer-Encoding: chunked'], 400],
    [['POST / HTTP/1.1', 'Host: a', 'Transfer-Encoding: chunked, gzip'], 400],
    [['POST / HTTP/1.1', 'Host: a', 'Transfer-Encoding: gzip'], 400],
    [['POST / HTTP/1.1', 'Host: a', 'Transfer-Encoding: chunked', 'Transfer-Encoding: identity'], 400],
    [['POST / HTTP/1.1', 'Host: a', 'Transfer-Encoding: chunked, chunked'], 400],
    [['POST / HTTP/1.0', 'Transfer-Encoding: chunked'], 400],
    [['POST / HTTP/1.1', 'Host: a', 'Content-Length: 3', 'Content-Length: 4'], 400],
    [['POST / HTTP/1.1', 'Host: a', 'Content-Length: 3, 4'], 400],
    [['POST / HTTP/1.1', 'Host: a', 'Content-Length: -1'], 400],
    [['POST / HTTP/1.1', 'Host: a', 'Content-Length: 0x10'], 400],
    [['POST / HTTP/1.1', 'Host: a', 'Content-Length: 1 2'], 400],
    [['GET / HTTP/1.1', 'Host: a', 'Host: b'], 400],
    [['GET / HTTP/1.1', 'Host: a', 'X-A: 1', ' folded'], 400],
    [['GET / HTTP/1.1', 'Host: a', 'X-A: 1\nTransfer-Encoding: chunked'], 400],
    [['GET / HTTP/1.1', 'Host: a', 'X-A: 1\rTransfer-Encoding: chunked'], 400],
    [['GET / HTTP/1.1', 'Host: a', 'Transfer-Encoding : chunked'], 400],
    [['GET / HTTP/1.1', 'Host: a', 'X[A]: 1'], 400],
    [['GET / HTTP/1.1', 'Host: a', 'X-A: a\x00b'], 400],
    [['GET / HTTP/1.1', 'Host: a', 'no colon'], 400],
    [['GET  / HTTP/1.1'], 400],
    [['GET / HTTP/1.1 extra'], 400],
    [['G@T / HTTP/1.1'], 400],
    [['GET / HTTP/2.0'], 505],
    [['GET / FTP/1.1'], 400],
    [['GET / HTTP/1.1'], 400],
    [['GET / HTTP/1.1', 'X-A: 1'], 400],
    [['GET example.com:80 HTTP/1.1', 'Host: a'], 400],
    [['GET * HTTP/1.1', 'Host: a'], 400],
    [['GET /', 'Host: a'], 400],
    [['GET / HTTP/1.10', 'Host: a'], 400],
    [[`GET /${'a'.repeat(8 * 1024)} HTTP/1.1`, 'Host: a'], 414],
    [['GET / HTTP/1.1', 'Host: a', ...Array.from({ length: 201 }, (_, i) => `X-${i}: 1`)], 431],
  ];
  for (const [lines, expected] of cases) assert.equal(status(lines), expected, JSON.stringify(lines));
});

test('response heads: which responses have a body and how it is framed', () => {
  const res = (lines: string[], method = 'GET') => parseResponseHead(lines.join('\r\n'), method);
  assert.equal(res(['HTTP/1.1 200 OK', 'Content-Length: 5']).body, Body.Length);
  assert.equal(res(['HTTP/1.1 200 OK', 'Content-Length: 0']).body, Body.None);
  assert.equal(res(['HTTP/1.1 200 OK', 'Content-Length: 5'], 'HEAD').body, Body.None);
  assert.equal(res(['HTTP/1.1 204 No Content', 'Content-Length: 5']).body, Body.None);
  assert.equal(res(['HTTP/1.1 304 Not Modified', 'Content-Length: 5']).body, Body.None);
  assert.equal(res(['HTTP/1.1 100 Continue']).body, Body.None);
  const chunked = res(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked', 'Keep-Alive: timeout=5']);
  assert.equal(chunked.body, Body.Chunked);
  assert.equal(chunked.keepAlive, true);
  assert.equal(chunked.keepAliveHintMs, 5_000);
  const both = res(['HTTP/1.1 200 OK', 'Content-Length: 5', 'Transfer-Encoding: chunked']);
  assert.equal(both.body, Body.Chunked, 'TE wins over CL');
  assert.equal(both.keepAlive, false, 'but the connection is not reused');
  const close = res(['HTTP/1.1 200 OK']);
  assert.equal(close.body, Body.UntilClose);
  assert.equal(close.keepAlive, false);
  assert.equal(res(['HTTP/1.0 200 OK', 'Content-Length: 1']).keepAlive, false);
  assert.equal(res(['HTTP/1.0 200 OK', 'Content-Length: 1', 'Connection: keep-alive']).keepAlive, true);
  assert.equal(res(['HTTP/1.1 200 OK', 'Content-Length: 1', 'Connection: close']).keepAlive, false);
  assert.equal(res(['HTTP/1.1 404']).reason, '');
  for (const bad of [['HTTP/1.1 2000 OK'], ['HTTP/1.1 20 OK'], ['HTTP/2 200 OK'], ['HTTP/1.1 200 OK', 'Content-Length: 1', 'Content-Length: 2']]) {
    assert.throws(() => res(bad), HeadError, JSON.stringify(bad));
  }
});

test('head rewriting: hop-by-hop and Connection-named fields dropped, X-Forwarded-* set, chunked passed through', () => {
  const r = req([
    'POST /p HTTP/1.1',
    'Host: Web.service.cluster:8080',
    'Connection: keep-alive, X-Secret',
    'X-Secret: 1',
    'Keep-Alive: timeout=5',
    'TE: trailers',
    'X-Forwarded-For: 10.0.0.1',
    'X-Forwarded-Proto: https',
    'Transfer-Encoding: chunked',
    'Expect: 100-continue',
    'Accept: */*',
  ]);
  assert.equal(
    upstreamRequestHead(r, '127.0.0.9', 'http'),
    'POST /p HTTP/1.1\r\nHost: Web.service.cluster:8080\r\nExpect: 100-continue\r\nAccept: */*\r\ntransfer-encoding: chunked\r\n' +
      'x-forwarded-for: 10.0.0.1, 127.0.0.9\r\nx-forwarded-host: Web.service.cluster:8080\r\nx-forwarded-proto: http\r\n\r\n',
  );
  const ws = req(['GET /chat HTTP/1.1', 'Host: a', 'Connection: Upgrade', 'Upgrade: websocket']);
  assert.match(upstreamRequestHead(ws, '1.2.3.4', 'http'), /^GET \/chat HTTP\/1\.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n/);

  const res = parseResponseHead(
    ['HTTP/1.1 200 OK', 'Content-Type: text/plain', 'Transfer-Encoding: chunked', 'Set-Cookie: a=1', 'Set-Cookie: b=2', 'Connection: close, X-Internal', 'X-Internal: 1'].join('\r\n'),
    'GET',
  );
  assert.equal(clientResponseHead(res, true, ''), 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\ntransfer-encoding: chunked\r\n\r\n');
  assert.equal(clientResponseHead(res, false, 'close'), 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nconnection: close\r\n\r\n');
});

test('plain heads (nothing hop-by-hop, HTTP/1.1) pass as received; any hop-by-hop or X-Forwarded-* field takes the rewrite', () => {
  const plain = req(['GET /x HTTP/1.1', 'Host: a.service.cluster', 'X-A:  spaced  ', 'Accept: */*']);
  assert.equal(plain.plain, true);
  assert.equal(
    upstreamRequestHead(plain, '127.0.0.9', 'http'),
    'GET /x HTTP/1.1\r\nHost: a.service.cluster\r\nX-A:  spaced  \r\nAccept: */*\r\n' +
      'x-forwarded-for: 127.0.0.9\r\nx-forwarded-host: a.service.cluster\r\nx-forwarded-proto: http\r\n\r\n',
  );
  assert.equal(upstreamRequestHead(req(['GET / HTTP/1.1', 'Host: ']), '::1', 'http'), 'GET / HTTP/1.1\r\nHost: \r\nx-forwarded-for: ::1\r\nx-forwarded-proto: http\r\n\r\n');
  for (const line of ['Connection: keep-alive', 'keep-alive: 5', 'TE: trailers', 'Upgrade: h2c', 'Proxy-Authorization: x', 'x-forwarded-for: 1.2.3.4', 'X-Forwarded-Proto: https']) {
    assert.equal(req(['GET / HTTP/1.1', 'Host: a', line]).plain, false, line);
  }
  assert.equal(req(['GET / HTTP/1.0', 'Host: a']).plain, false, 'HTTP/1.0 gets an HTTP/1.1 request line');
  assert.equal(req(['GET / HTTP/1.1', 'Host: a', 'X-Forwarded-Port: 80', 'Cookie: c']).plain, true);

  const res = (lines: string[]) => parseResponseHead(lines.join('\r\n'), 'GET');
  assert.equal(res(['HTTP/1.1 200 OK', 'Content-Length: 2', 'Content-Type: text/plain']).plain, true);
  assert.equal(res(['HTTP/1.1 200 OK', 'Content-Length: 2', 'Keep-Alive: timeout=5']).plain, false);
  assert.equal(res(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked']).plain, false);
  assert.equal(res(['HTTP/1.0 200 OK', 'Content-Length: 2']).plain, false);
});

test('headText finds the end of a head wherever it lies (inside the first 2 KiB, across that limit, beyond it)', () => {
  for (const size of [0, 10, 2024, 2025, 2026, 2027, 2028, 2029, 2030, 4090, 9000]) {
    const head = `GET / HTTP/1.1\r\nX: ${'a'.repeat(size)}`;
    const buf = Buffer.from(`${head}\r\n\r\nbody bytes`, 'latin1');
    assert.equal(headText(buf, 0), head, `size ${size}`);
    assert.equal(headText(buf, Math.max(0, head.length - 3)), head, `size ${size}, searched from near the end`);
    assert.equal(headText(buf.subarray(0, head.length + 3), 0), undefined, `size ${size}, blank line incomplete`);
  }
});

test('hop-by-hop lines are cut from a head that needs nothing else; X-Forwarded-*, chunked, upgrade or named fields rebuild it', () => {
  const ka = req(['GET /k HTTP/1.1', 'Host: a', 'Connection: keep-alive', 'Accept:  x ', 'Keep-Alive: 5', 'Proxy-Authorization: s']);
  assert.equal(ka.plain, false);
  assert.notEqual(ka.cuts, null);
  assert.equal(
    upstreamRequestHead(ka, '10.1.1.1', 'http'),
    'GET /k HTTP/1.1\r\nHost: a\r\nAccept:  x \r\nx-forwarded-for: 10.1.1.1\r\nx-forwarded-host: a\r\nx-forwarded-proto: http\r\n\r\n',
  );
  for (const lines of [
    ['GET / HTTP/1.1', 'Host: a', 'Connection: keep-alive, X-Secret', 'X-Secret: 1'],
    ['GET / HTTP/1.1', 'Host: a', 'Connection: keep-alive', 'X-Forwarded-For: 1.1.1.1'],
    ['POST / HTTP/1.1', 'Host: a', 'Transfer-Encoding: chunked'],
    ['GET / HTTP/1.1', 'Host: a', 'Connection: upgrade', 'Upgrade: websocket'],
    ['GET / HTTP/1.0', 'Connection: keep-alive'],
    ['POST / HTTP/1.1', 'Host: a', 'Content-Length: 2, 2'],
    ['GET / HTTP/1.2', 'Host: a'],
  ]) {
    assert.equal(req(lines).cuts, null, JSON.stringify(lines));
  }
  const res = parseResponseHead(['HTTP/1.1 200 OK', 'Connection: keep-alive', 'Content-Length: 2', 'Keep-Alive: timeout=5', 'X-Forwarded-For: kept'].join('\r\n'), 'GET');
  assert.equal(clientResponseHead(res, true, ''), 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Forwarded-For: kept\r\n\r\n');
  assert.equal(clientResponseHead(res, true, 'keep-alive'), 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Forwarded-For: kept\r\nconnection: keep-alive\r\n\r\n');
  assert.equal(parseResponseHead(['HTTP/1.1 200 OK', 'Connection: close, X-Internal', 'X-Internal: 1'].join('\r\n'), 'GET').cuts, null);
});

test('request-target forms, versions and Host as RFC 9112 §3 says', () => {
  assert.equal(req(['OPTIONS * HTTP/1.1', 'Host: a']).target, '*');
  assert.equal(req(['GET http://a.service.cluster/x HTTP/1.1', 'Host: a']).target, 'http://a.service.cluster/x');
  assert.equal(req(['CONNECT a:443 HTTP/1.1', 'Host: a']).method, 'CONNECT', 'authority-form is for CONNECT (refused later with 405)');
  assert.equal(req(['GET / HTTP/1.0']).host, '', 'HTTP/1.0 needs no Host');
  assert.equal(req([`GET /${'a'.repeat(8 * 1024 - 2)} HTTP/1.1`, 'Host: a']).target.length, 8 * 1024 - 1);
  // A higher minor version is served as HTTP/1.1 (RFC 9110 §6.2): the instance gets an HTTP/1.1 request line.
  const newer = req(['GET /n HTTP/1.2', 'Host: a']);
  assert.equal(newer.http10, false);
  assert.equal(newer.keepAlive, true);
  assert.match(upstreamRequestHead(newer, '1.1.1.1', 'http'), /^GET \/n HTTP\/1\.1\r\nHost: a\r\n/);
  const res = parseResponseHead('HTTP/1.2 200 OK\r\nContent-Length: 1', 'GET');
  assert.equal(res.status, 200);
  assert.equal(clientResponseHead(res, true, ''), 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n');
});

test('Connection never removes framing or routing fields, in either direction (RFC 9110 §7.6.1)', () => {
  const smuggle = req(['POST /p HTTP/1.1', 'Host: a', 'Connection: Content-Length, Host, Transfer-Encoding, X-Forwarded-For, X-Private', 'Content-Length: 53', 'X-Private: 1']);
  const out = upstreamRequestHead(smuggle, '10.0.0.1', 'http');
  assert.match(out, /\r\nContent-Length: 53\r\n/);
  assert.match(out, /\r\nHost: a\r\n/);
  assert.doesNotMatch(out, /X-Private/);
  assert.match(out, /\r\nx-forwarded-for: 10\.0\.0\.1\r\n/);
  // Only protected names listed: nothing to remove, the Connection line is simply cut.
  const onlyProtected = req(['POST /p HTTP/1.1', 'Host: a', 'Connection: content-length, host', 'Content-Length: 2']);
  assert.notEqual(onlyProtected.cuts, null);
  assert.equal(
    upstreamRequestHead(onlyProtected, '10.0.0.1', 'http'),
    'POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nx-forwarded-for: 10.0.0.1\r\nx-forwarded-host: a\r\nx-forwarded-proto: http\r\n\r\n',
  );
  const res = parseResponseHead(['HTTP/1.1 200 OK', 'Connection: Content-Length, Transfer-Encoding, X-Internal', 'Content-Length: 5', 'X-Internal: 1'].join('\r\n'), 'GET');
  assert.equal(res.body, Body.Length);
  assert.equal(clientResponseHead(res, true, ''), 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n');
  const chunked = parseResponseHead(['HTTP/1.1 200 OK', 'Connection: transfer-encoding', 'Transfer-Encoding: chunked'].join('\r\n'), 'GET');
  assert.equal(clientResponseHead(chunked, true, ''), 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n');
});

test('Content-Length: one value goes on (lists and repeats normalised); with Transfer-Encoding it is removed; Trailer is kept', () => {
  const listed = req(['POST / HTTP/1.1', 'Host: a', 'Content-Length: 5, 5', 'Content-Length: 5']);
  assert.equal(listed.cuts, null);
  assert.equal(
    upstreamRequestHead(listed, '1.2.3.4', 'http'),
    'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nx-forwarded-for: 1.2.3.4\r\nx-forwarded-host: a\r\nx-forwarded-proto: http\r\n\r\n',
  );
  const res = (lines: string[]) => parseResponseHead(lines.join('\r\n'), 'GET');
  assert.equal(clientResponseHead(res(['HTTP/1.1 200 OK', 'Content-Length: 3,3']), true, ''), 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n');
  const both = res(['HTTP/1.1 200 OK', 'Content-Length: 5', 'Transfer-Encoding: chunked', 'Trailer: X-Sum']);
  assert.equal(clientResponseHead(both, true, ''), 'HTTP/1.1 200 OK\r\nTrailer: X-Sum\r\ntransfer-encoding: chunked\r\n\r\n');
  assert.equal(clientResponseHead(both, false, 'close'), 'HTTP/1.1 200 OK\r\nTrailer: X-Sum\r\nconnection: close\r\n\r\n');
  const trailer = req(['POST / HTTP/1.1', 'Host: a', 'Trailer: X-Sum', 'Content-Length: 1']);
  assert.equal(trailer.plain, true, 'Trailer is end to end (RFC 9110 §6.6.2)');
});

test('earlyHeadError: checked piece by piece, a bare LF or a bad first line is found as soon as it arrives', () => {
  const feed = (text: string) => {
    const all = Buffer.from(text, 'latin1');
    let checked = 0;
    for (let n = 1; n <= all.length; n++) {
      const err = earlyHeadError(all.subarray(0, n), checked);
      checked = n;
      if (err !== null) return { at: n, status: err.status };
    }
    return null;
  };
  assert.deepEqual(feed('GET / HTTP/1.1\r\nHost: a\r\nX: 1\nY'), { at: 30, status: 400 });
  assert.deepEqual(feed('GET /\r\nHost'), { at: 7, status: 400 }, 'HTTP/0.9');
  assert.deepEqual(feed('GET / HTTP/1.1\r\n'), null);
  assert.deepEqual(feed('GET / HTTP/1.1\r\nHost: a\r\n\r'), null);
  assert.equal(feed(`GET /${'a'.repeat(9000)}`)?.status, 414);
});
