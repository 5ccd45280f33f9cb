/**
 * The request line (RFC 9112 §3): `method SP request-target SP HTTP-version`, checked strictly,
 * and the checks that can refuse a request head before its end has arrived (bare LF, an HTTP/0.9
 * or otherwise malformed first line, an over-long target): such a head gets its answer at once
 * instead of holding the connection until a timeout.
 */
import { CTL, HeadError, TOKEN } from './fields.js';

/** A request-target: visible ASCII and obs-text, nothing else. */
const TARGET = /^[\x21-\x7e\x80-\xff]+$/;
/** method SP request-target SP HTTP/1.0 or HTTP/1.1, nothing else: the usual line, one test. */
const REQUEST_LINE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+ [\x21-\x7e\x80-\xff]+ HTTP\/1\.[01]$/;
/** `scheme://`: the absolute-form of a request-target (RFC 9112 §3.2.2). */
const ABSOLUTE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
/** Longest request-target accepted (nginx's and HAProxy's buffers put it near 8 KiB too); longer → 414. */
export const MAX_TARGET = 8 * 1024;

export interface RequestLine {
  method: string;
  target: string;
  http10: boolean;
  /** HTTP/1.2 or later: served as HTTP/1.1, the highest this proxy speaks (RFC 9110 §6.2). */
  newerMinor: boolean;
}

/** Reused for every parse: read at once by the caller. */
const parsed: RequestLine = { method: '', target: '', http10: false, newerMinor: false };

export function parseRequestLine(line: string): RequestLine {
  // One test for the usual well-formed line; the separate checks only to find what is wrong.
  const wellFormed = REQUEST_LINE.test(line);
  if (!wellFormed && CTL.test(line)) throw new HeadError(400, 'invalid character in request line');
  const sp1 = line.indexOf(' ');
  const sp2 = line.indexOf(' ', sp1 + 1);
  const method = line.slice(0, sp1);
  const target = line.slice(sp1 + 1, sp2);
  const version = line.slice(sp2 + 1);
  const http10 = version === 'HTTP/1.0';
  let newerMinor = false;
  if (!wellFormed) {
    if (sp1 <= 0 || sp2 === -1 || line.indexOf(' ', sp2 + 1) !== -1) throw new HeadError(400, 'malformed request line');
    if (!TOKEN.test(method) || !TARGET.test(target)) throw new HeadError(400, 'malformed request line');
    if (/^HTTP\/1\.[2-9]$/.test(version)) newerMinor = true;
    else if (!http10 && version !== 'HTTP/1.1') throw new HeadError(/^HTTP\/[0-9]\.[0-9]$/.test(version) ? 505 : 400, 'unsupported HTTP version');
  }
  checkTarget(method, target);
  parsed.method = method;
  parsed.target = target;
  parsed.http10 = http10;
  parsed.newerMinor = newerMinor;
  return parsed;
}

/**
 * The request-target's form must suit the method (RFC 9112 §3.2): origin-form (`/…`) or
 * absolute-form for any method, `*` for OPTIONS only, authority-form (`host:port`) for CONNECT only.
 */
function checkTarget(method: string, target: string): void {
  if (target.length > MAX_TARGET) throw new HeadError(414, 'request-target too long');
  if (target.charCodeAt(0) === 47 /* / */ || method === 'CONNECT') return;
  if (target === '*' ? method === 'OPTIONS' : ABSOLUTE.test(target)) return;
  throw new HeadError(400, target === '*' ? 'asterisk-form target outside OPTIONS' : 'authority-form target outside CONNECT');
}

/**
 * Why the start of a request head whose end is not in `buf` yet can already be refused, or null:
 * a bare LF (the blank line `CRLFCRLF` it would need can then never be trusted), a complete first
 * line that is not a valid request line (HTTP/0.9 `GET /` included), or a first line already too
 * long for any target we accept. `from`: how much of `buf` an earlier call already checked, so a
 * head trickled byte by byte costs linear time, not quadratic.
 */
export function earlyHeadError(buf: Buffer, from: number): HeadError | null {
  for (let lf = buf.indexOf(10, from); lf !== -1; lf = buf.indexOf(10, lf + 1)) {
    if (lf === 0 || buf[lf - 1] !== 13) return new HeadError(400, 'bare LF in request head');
  }
  const eol = buf.indexOf('\r\n');
  if (eol === -1) return buf.length > MAX_TARGET + 64 ? new HeadError(414, 'request line too long') : null;
  if (eol + 2 <= from) return null; // checked by an earlier call
  try {
    parseRequestLine(buf.toString('latin1', 0, eol));
    return null;
  } catch (err) {
    if (err instanceof HeadError) return err;
    throw err;
  }
}
