/**
 * Request generators and oracles for the differential fuzz (http1-fuzz.test.ts): seeded requests
 * whose framing is varied the ways smuggling attacks vary it, mutations of them, and the engine's
 * own framing decision over the same bytes (which requests it reads and how many body bytes each
 * carries), to be compared with llhttp's (Node's http server) and with what the instance parsed.
 */
import { BodyFraming } from '../../src/proxy/http1/body-framing.js';
import { Body, HeadError, headText, parseRequestHead } from '../../src/proxy/http1/parse.js';
import { hostKey } from '../../src/proxy/l7.js';
import type { Rng } from '../../src/scheduler/placement/rng.js';

export const HOST = 'web.service.cluster';

/** One request as parsed by someone: its target and its body size (payload bytes, chunked decoded). */
export interface Parsed {
  url: string;
  bodyBytes: number;
}

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;

function chunkedBody(rng: Rng, payload: string): string {
  let out = '';
  let i = 0;
  while (i < payload.length) {
    const n = 1 + Math.floor(rng() * 20);
    const part = payload.slice(i, i + n);
    out += `${part.length.toString(16)}${rng() < 0.1 ? ';ext=1' : ''}\r\n${part}\r\n`;
    i += n;
  }
  return `${out}0\r\n${rng() < 0.2 ? 'X-Trailer: 1\r\n' : ''}\r\n`;
}

/**
 * A request tagged with case `k` (path `/c<k>/…` and `X-Case: k`), its framing picked among valid,
 * ambiguous and conflicting forms; its body sometimes holds a whole second request (the smuggling
 * payload), and a tagged follow-up request sometimes comes after it on the same connection.
 */
export function generated(rng: Rng, k: number): Buffer {
  const method = pick(rng, ['GET', 'POST', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'HEAD']);
  const version = pick(rng, ['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/1.2']);
  const inner = `GET /c${k}/smuggled HTTP/1.1\r\nHost: ${HOST}\r\nX-Case: ${k}\r\n\r\n`;
  const payload = rng() < 0.4 ? inner : 'x'.repeat(Math.floor(rng() * 40));
  const host = pick(rng, [`Host: ${HOST}\r\n`, `Host: ${HOST}\r\n`, `host: ${HOST}:80\r\n`, '', `Host: ${HOST}\r\nHost: ${HOST}\r\n`]);
  const n = payload.length;
  const framings: [string, string][] = [
    ['', ''],
    [`Content-Length: ${n}\r\n`, payload],
    [`Connection: Content-Length\r\nContent-Length: ${n}\r\n`, payload],
    [`Connection: keep-alive, host, x-forwarded-for\r\nContent-Length: ${n}\r\n`, payload],
    ['Transfer-Encoding: chunked\r\n', chunkedBody(rng, payload)],
    ['Connection: Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n', chunkedBody(rng, payload)],
    [`Transfer-Encoding: chunked\r\nContent-Length: ${n}\r\n`, chunkedBody(rng, payload)],
    [`Content-Length: ${n}\r\nTransfer-Encoding: chunked\r\n`, payload],
    [`Content-Length: ${n}, ${n}\r\n`, payload],
    [`Content-Length: ${n}\r\nContent-Length: ${n}\r\n`, payload],
    [`Content-Length: ${n}\r\nContent-Length: ${n + 1}\r\n`, payload],
    [`Content-Length: 0${n}\r\n`, payload],
    [`Content-Length: +${n}\r\n`, payload],
    ['Transfer-Encoding: Chunked\r\n', chunkedBody(rng, payload)],
    ['Transfer-Encoding: chunked, identity\r\n', chunkedBody(rng, payload)],
    ['Transfer-Encoding: gzip, chunked\r\n', chunkedBody(rng, payload)],
    ['Transfer-Encoding : chunked\r\n', chunkedBody(rng, payload)],
    ['X-A: 1\r\n Transfer-Encoding: chunked\r\n', chunkedBody(rng, payload)],
    ['Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n', chunkedBody(rng, payload)],
    [`Content-Length: ${n}\nX-B: 1\r\n`, payload],
  ];
  const [framing, body] = pick(rng, framings);
  const extra = pick(rng, ['', 'Connection: close\r\n', 'Connection: keep-alive\r\n', 'Expect: 100-continue\r\n', 'Trailer: X-Trailer\r\n']);
  let raw = `${method} /c${k}/a HTTP${version.slice(4)}\r\n${host}X-Case: ${k}\r\n${extra}${framing}\r\n${body}`;
  if (rng() < 0.6) raw += `GET /c${k}/next HTTP/1.1\r\nHost: ${HOST}\r\nX-Case: ${k}\r\nConnection: close\r\n\r\n`;
  return Buffer.from(raw, 'latin1');
}

const TEMPLATES = [
  (k: number) => `GET /c${k} HTTP/1.1\r\nHost: ${HOST}\r\nX-Case: ${k}\r\n\r\n`,
  (k: number) => `GET /c${k}?b=c HTTP/1.1\r\nHost: ${HOST}\r\nX-Case: ${k}\r\nConnection: keep-alive\r\nAccept: */*\r\n\r\n`,
  (k: number) => `POST /c${k} HTTP/1.1\r\nHost: ${HOST}\r\nX-Case: ${k}\r\nContent-Length: 5\r\n\r\nhello`,
  (k: number) => `POST /c${k} HTTP/1.1\r\nHost: ${HOST}\r\nX-Case: ${k}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
  (k: number) => `GET /c${k} HTTP/1.0\r\nHost: ${HOST}\r\nX-Case: ${k}\r\n\r\n`,
  (k: number) => `GET /c${k} HTTP/1.1\r\nHost: ${HOST}\r\nX-Case: ${k}\r\n\r\nGET /c${k}/2 HTTP/1.1\r\nHost: ${HOST}\r\nX-Case: ${k}\r\n\r\n`,
];

/** A template or a generated request with bytes flipped, inserted, cut, or garbage outright. */
export function mutated(rng: Rng, k: number): Buffer {
  const n = (x: number) => Math.floor(rng() * x);
  if (rng() < 0.1) return Buffer.from(Array.from({ length: n(600) }, () => n(256)));
  const bytes = [...(rng() < 0.5 ? Buffer.from(pick(rng, TEMPLATES)(k), 'latin1') : generated(rng, k))];
  for (let edits = 1 + n(4); edits > 0; edits--) {
    const at = n(bytes.length + 1);
    const kind = n(4);
    if (kind === 0) bytes[at] = n(256);
    else if (kind === 1) bytes.splice(at, 0, ...Array.from({ length: 1 + n(8) }, () => [13, 10, 58, 32, 48, n(256)][n(6)]!));
    else if (kind === 2) bytes.splice(at, 1 + n(12));
    else bytes.length = Math.min(bytes.length, at);
  }
  return Buffer.from(bytes);
}

export interface Decision {
  /** Every request the engine reads from the bytes, with its framing. */
  parsed: Parsed[];
  /** Those it forwards (the others get a 404 here: their Host routes nowhere). */
  forwarded: Parsed[];
}

/**
 * The engine's framing decision over `raw` (parse.ts and body-framing.ts, as client.ts drives them):
 * the requests it reads, in order, until it refuses one, meets an upgrade or CONNECT, or the bytes
 * end before a request does. HTTP/1.0 without keep-alive and `Connection: close` end it.
 */
export function engineDecision(raw: Buffer): Decision {
  const parsed: Parsed[] = [];
  const out: Parsed[] = [];
  const decision = { parsed, forwarded: out };
  let buf = raw;
  for (;;) {
    let skip = 0;
    while (skip < buf.length && (buf[skip] === 13 || buf[skip] === 10)) skip++;
    buf = buf.subarray(skip);
    const head = headText(buf, 0);
    if (head === undefined || head.length > 16 * 1024) return decision;
    let req;
    try {
      req = parseRequestHead(head);
    } catch (err) {
      if (err instanceof HeadError) return decision;
      throw err;
    }
    if (req.method === 'CONNECT' || req.upgrade) return decision;
    const framing = new BodyFraming(req.body, req.length);
    let bodyBytes = 0;
    const start = head.length + 4;
    let end: number;
    try {
      end = framing.feed(buf, start, buf.length, (_b, s, e) => (bodyBytes += e - s));
    } catch {
      return decision;
    }
    if (end === -1) return decision; // the body never ended: never forwarded whole
    if (req.body === Body.Length) bodyBytes = req.length;
    parsed.push({ url: req.target, bodyBytes });
    // A Host that routes nowhere is answered here (404); with a body the connection closes.
    if (hostKey(req.host) !== HOST) {
      if (!req.keepAlive || req.body !== Body.None) return decision;
      buf = buf.subarray(end);
      continue;
    }
    out.push({ url: req.target, bodyBytes });
    if (!req.keepAlive) return decision;
    buf = buf.subarray(end);
  }
}
