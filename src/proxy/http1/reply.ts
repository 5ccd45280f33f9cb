/**
 * Heads this proxy writes itself: its own complete answers (404, 502…) and the instance's response
 * head re-serialised for the client hop.
 */
import { Body, fieldsOf, type RequestHead, type ResponseHead } from './parse.js';
import { connectionNames, isHopByHop } from './semantics.js';

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  414: 'URI Too Long',
  404: 'Not Found',
  405: 'Method Not Allowed',
  431: 'Request Header Fields Too Large',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
};

/** A whole `text/plain` answer; no body bytes after a HEAD request (the length still says what GET would get). */
export function plainReply(status: number, message: string, close: boolean, req?: RequestHead): string {
  const body = `maestro proxy: ${message}\n`;
  const conn = close ? 'connection: close\r\n' : req?.http10 ? 'connection: keep-alive\r\n' : '';
  const head = `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${conn}\r\n`;
  return req?.method === 'HEAD' ? head : head + body;
}

/**
 * The instance's response head for the client: hop-by-hop fields and those its `Connection` names
 * dropped; `Transfer-Encoding` re-added when the chunked body passes through unchanged. With
 * Transfer-Encoding, any Content-Length is removed (RFC 9112 §6.3: TE overrides it and an
 * intermediary MUST remove it); a listed or repeated Content-Length goes on as one value.
 */
export function clientResponseHead(r: ResponseHead, passChunked: boolean, connection: string): string {
  if (r.cuts !== null) return `${withoutCuts(r.raw, r.cuts)}${connection === '' ? '' : `\r\nconnection: ${connection}`}\r\n\r\n`;
  let out = `HTTP/1.1 ${r.status} ${r.reason}\r\n`;
  const f = fieldsOf(r);
  const named = r.connection === undefined ? null : namedTokens(r.connection);
  let lengthOut = r.transferEncoding !== '';
  for (let i = 0; i < f.length; i += 2) {
    const lower = f[i].toLowerCase();
    if (isHopByHop(lower) || (named !== null && named.includes(lower))) continue;
    if (lower === 'content-length') {
      if (lengthOut) continue;
      lengthOut = true;
      out += `${f[i]}: ${r.length}\r\n`;
      continue;
    }
    out += `${f[i]}: ${f[i + 1]}\r\n`;
  }
  if (passChunked && r.body === Body.Chunked) out += `transfer-encoding: ${r.transferEncoding}\r\n`;
  if (connection !== '') out += `connection: ${connection}\r\n`;
  return `${out}\r\n`;
}

/**
 * The request head for the instance: hop-by-hop fields and those named by `Connection` dropped
 * (kept for an upgrade, whose handshake needs them end to end), `X-Forwarded-For` appended to,
 * `X-Forwarded-Host`/`-Proto` set to what this proxy saw.
 */
export function upstreamRequestHead(h: RequestHead, remote: string, proto: string): string {
  // The common case: at most a few hop-by-hop lines to drop, then the three fields appended.
  if (h.cuts !== null) {
    const host = h.host ? `\r\nx-forwarded-host: ${h.host}` : '';
    return `${withoutCuts(h.raw, h.cuts)}\r\nx-forwarded-for: ${remote}${host}\r\nx-forwarded-proto: ${proto}\r\n\r\n`;
  }
  let out = `${h.method} ${h.target} HTTP/1.1\r\n`;
  let xff = '';
  const f = fieldsOf(h);
  const named = h.connection === undefined || h.upgrade ? null : namedTokens(h.connection);
  let lengthOut = false;
  for (let i = 0; i < f.length; i += 2) {
    const lower = f[i].toLowerCase();
    if (lower.startsWith('x-forwarded-')) {
      if (lower === 'x-forwarded-for') xff = xff ? `${xff}, ${f[i + 1]}` : f[i + 1];
      if (lower === 'x-forwarded-for' || lower === 'x-forwarded-host' || lower === 'x-forwarded-proto') continue;
    }
    if (isHopByHop(lower) && !(h.upgrade && (lower === 'connection' || lower === 'upgrade'))) continue;
    if (named !== null && named.includes(lower)) continue;
    if (lower === 'content-length') {
      // One value, even when it came as a list or repeated (parse.ts checked they all agree).
      if (lengthOut) continue;
      lengthOut = true;
      out += `${f[i]}: ${h.length}\r\n`;
      continue;
    }
    out += `${f[i]}: ${f[i + 1]}\r\n`;
  }
  if (h.body === Body.Chunked) out += `transfer-encoding: ${h.transferEncoding}\r\n`;
  out += `x-forwarded-for: ${xff ? `${xff}, ${remote}` : remote}\r\n`;
  if (h.host) out += `x-forwarded-host: ${h.host}\r\n`;
  return `${out}x-forwarded-proto: ${proto}\r\n\r\n`;
}

/** `raw` without the `[from, to)` ranges in `cuts`. */
function withoutCuts(raw: string, cuts: number[]): string {
  if (cuts.length === 0) return raw;
  let out = '';
  let at = 0;
  for (let i = 0; i < cuts.length; i += 2) {
    out += raw.slice(at, cuts[i]);
    at = cuts[i + 1];
  }
  return out + raw.slice(at);
}

function namedTokens(connection: string): string[] | null {
  const names = connectionNames(connection);
  return names.length === 0 ? null : names;
}
