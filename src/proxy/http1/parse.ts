/**
 * HTTP/1.1 message heads (RFC 9112), parsed strictly from the latin1 text before the blank line.
 * Anything a smuggling attack could use to make two parsers disagree on where a message ends is an
 * error: bare CR/LF, obs-fold, invalid token characters, Transfer-Encoding with anything but a
 * final `chunked`, Transfer-Encoding together with Content-Length, conflicting Content-Lengths.
 */

import { CTL, HeadError, parseFields } from './fields.js';
import { parseRequestLine } from './request-line.js';
import { connectionNames } from './semantics.js';

export { fieldsOf, HeadError, MAX_FIELDS } from './fields.js';
export { earlyHeadError, MAX_TARGET } from './request-line.js';

/** How a message body is delimited. */
export const enum Body {
  None = 0,
  Length = 1,
  Chunked = 2,
  /** Response only: the body runs until the connection closes. */
  UntilClose = 3,
}

/** What request and response heads share: framing, connection handling and the raw text. */
interface MessageHead {
  /** HTTP/1.0 peer: no chunked answers, keep-alive only on request. */
  http10: boolean;
  body: Body;
  length: number;
  /** The peer wants the connection kept after this exchange / the connection may carry another. */
  keepAlive: boolean;
  /** The `Connection` header values joined; undefined when absent. */
  connection: string | undefined;
  /** The Transfer-Encoding value (a final `chunked`), forwarded with the unchanged body. */
  transferEncoding: string;
  /** Content-Length came as a list or repeated (all equal): it goes on as one value. */
  lengthRewrite: boolean;
  /** The head as received (before the blank line); `fieldsOf` splits its fields. */
  raw: string;
  /** Where the field lines start in `raw` (the start line's CRLF). */
  fieldsFrom: number;
  /**
   * `[from, to)` ranges of `raw` to drop (hop-by-hop lines) so that the rest can go on as received;
   * null when the head must be rebuilt field by field (HTTP/1.0 or 1.2+, X-Forwarded-* to append
   * to, chunked, upgrade, a Content-Length to normalise, or fields named by `Connection`).
   */
  cuts: number[] | null;
  /** HTTP/1.1 and no cut either: `raw` goes on as received (a request with X-Forwarded-* appended). */
  plain: boolean;
}

export interface RequestHead extends MessageHead {
  method: string;
  target: string;
  /** The Host header; '' when absent. */
  host: string;
  /** `Connection: upgrade` with an `Upgrade` header. */
  upgrade: boolean;
}

export interface ResponseHead extends MessageHead {
  status: number;
  reason: string;
  /** `Keep-Alive: timeout=N` in ms; 0 when not given. */
  keepAliveHintMs: number;
}

const CRLF2 = Buffer.from('\r\n\r\n');
/** Bytes looked at as text first when searching a head's end: most heads fit, and a longer peek costs more than it saves. */
const PEEK = 2048;

/**
 * The head at the start of `buf` as latin1 text (without the blank line: the body starts at its
 * length + 4), or undefined while its end is not in `buf`; the search for the end starts at `from`.
 * The first bytes are searched as text, since the parser needs that text anyway.
 */
export function headText(buf: Buffer, from: number): string | undefined {
  const n = Math.min(buf.length, PEEK);
  const text = buf.toString('latin1', 0, n);
  const idx = text.indexOf('\r\n\r\n', from);
  if (idx !== -1) return text.slice(0, idx);
  if (n === buf.length) return undefined;
  const at = buf.indexOf(CRLF2, Math.max(from, n - 3));
  return at === -1 ? undefined : buf.toString('latin1', 0, at);
}

/** A `Connection` value that lists only options (close, keep-alive, upgrade), no field names. */
function namesNoField(connection: string | undefined): boolean {
  return connection === undefined || connectionNames(connection).length === 0;
}

export function hasToken(list: string | undefined, token: string): boolean {
  if (list === undefined) return false;
  if (list.length === token.length) return list.toLowerCase() === token;
  for (const part of list.split(',')) if (part.trim().toLowerCase() === token) return true;
  return false;
}

/** `head`: the bytes before CRLFCRLF, as latin1. */
export function parseRequestHead(head: string): RequestHead {
  let eol = head.indexOf('\r\n');
  if (eol === -1) eol = head.length;
  const { method, target, http10, newerMinor } = parseRequestLine(head.slice(0, eol));
  const f = parseFields(head, eol, true);
  // RFC 9112 §3.2: an HTTP/1.1 request without Host (or with two, see fields.ts) is refused.
  if (!http10 && f.host === undefined) throw new HeadError(400, 'HTTP/1.1 request without Host');
  let body = Body.None;
  if (f.te !== '') {
    if (!f.chunked || http10) throw new HeadError(400, 'unsupported Transfer-Encoding');
    if (f.length !== -1) throw new HeadError(400, 'both Transfer-Encoding and Content-Length');
    body = Body.Chunked;
  } else if (f.length > 0) body = Body.Length;
  const close = hasToken(f.connection, 'close');
  const requestCuts =
    !http10 && !newerMinor && !f.forwarded && f.te === '' && !f.hasUpgrade && !f.lengthRewrite && namesNoField(f.connection) ? f.cuts : null;
  return {
    method,
    target,
    http10,
    host: f.host ?? '',
    body,
    length: f.length === -1 ? 0 : f.length,
    keepAlive: http10 ? hasToken(f.connection, 'keep-alive') : !close,
    upgrade: f.hasUpgrade && hasToken(f.connection, 'upgrade'),
    connection: f.connection,
    transferEncoding: f.te,
    lengthRewrite: f.lengthRewrite,
    raw: head,
    fieldsFrom: eol,
    cuts: requestCuts,
    plain: requestCuts !== null && requestCuts.length === 0,
  };
}

/**
 * A response head; `method` and the status decide whether a body follows (RFC 9112 §6.3).
 * Errors here are the instance's fault: the caller answers 502.
 */
export function parseResponseHead(head: string, method: string): ResponseHead {
  let eol = head.indexOf('\r\n');
  if (eol === -1) eol = head.length;
  const line = head.slice(0, eol);
  if (CTL.test(line)) throw new HeadError(502, 'invalid character in status line');
  const http10 = line.startsWith('HTTP/1.0 ');
  // HTTP/1.2 and later minors are read as 1.1 (RFC 9110 §6.2); the client gets an HTTP/1.1 status line.
  const newerMinor = !http10 && !line.startsWith('HTTP/1.1 ') && /^HTTP\/1\.[2-9] /.test(line);
  if (!http10 && !newerMinor && !line.startsWith('HTTP/1.1 ')) throw new HeadError(502, 'malformed status line');
  const d0 = line.charCodeAt(9) - 48;
  const d1 = line.charCodeAt(10) - 48;
  const d2 = line.charCodeAt(11) - 48;
  if (!(d0 >= 1 && d0 <= 9 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9) || (line.length > 12 && line.charCodeAt(12) !== 32)) {
    throw new HeadError(502, 'malformed status line');
  }
  const status = d0 * 100 + d1 * 10 + d2;
  const f = parseFields(head, eol, false);
  let body: Body;
  let keepAlive = http10 ? hasToken(f.connection, 'keep-alive') : !hasToken(f.connection, 'close');
  if (method === 'HEAD' || status < 200 || status === 204 || status === 304) body = Body.None;
  else if (f.te !== '') {
    body = f.chunked ? Body.Chunked : Body.UntilClose;
    // TE overrides CL (RFC 9112 §6.3 point 3): the Content-Length is removed before forwarding
    // (reply.ts), and such a connection is not reused.
    if (f.length !== -1 || !f.chunked) keepAlive = false;
  } else if (f.length !== -1) body = f.length > 0 ? Body.Length : Body.None;
  else body = Body.UntilClose;
  if (body === Body.UntilClose) keepAlive = false;
  const responseCuts = !http10 && !newerMinor && f.te === '' && !f.hasUpgrade && !f.lengthRewrite && namesNoField(f.connection) ? f.cuts : null;
  return {
    status,
    reason: line.length > 13 ? line.slice(13) : '',
    http10,
    body,
    length: f.length === -1 ? 0 : f.length,
    keepAlive,
    keepAliveHintMs: keepAliveHint(f.keepAliveHint),
    connection: f.connection,
    transferEncoding: f.te,
    lengthRewrite: f.lengthRewrite,
    raw: head,
    fieldsFrom: eol,
    cuts: responseCuts,
    plain: responseCuts !== null && responseCuts.length === 0,
  };
}

function keepAliveHint(v: string): number {
  if (v === '') return 0;
  const m = /(?:^|[\s,])timeout=(\d+)/i.exec(v);
  return m ? Number(m[1]) * 1_000 : 0;
}
