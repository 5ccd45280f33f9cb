/**
 * Header rewriting between client and instance (RFC 9110 §7.6.1): hop-by-hop headers and the ones
 * the `Connection` header names stay on their hop; `X-Forwarded-For` is appended to, and
 * `X-Forwarded-Host` / `X-Forwarded-Proto` say what this proxy saw. One pass over the raw arrays.
 */

export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
]);

/** Request headers this proxy rewrites itself (or, for `expect`, answers itself: Node sends 100). */
const REWRITTEN = new Set(['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'expect']);

export interface ForwardedRequest {
  /** Flat `[name, value, …]` for undici. */
  headers: string[];
  /** The client's Host header (route key source); '' when absent. */
  host: string;
  /** The request has a body to stream (content-length > 0 or transfer-encoding). */
  hasBody: boolean;
}

/**
 * Builds the upstream header list from Node's `rawHeaders`. With `keepUpgrade` (WebSocket) the
 * `Connection`/`Upgrade` pair is kept, because the handshake needs it end to end.
 */
export function forwardRequestHeaders(raw: readonly string[], remoteAddress: string, proto: string, keepUpgrade = false): ForwardedRequest {
  const out: string[] = [];
  let host = '';
  let xff = '';
  let hasBody = false;
  let named: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    const value = raw[i + 1];
    if (name === 'connection') named = named === undefined ? value : `${named},${value}`;
    if (name === 'host') host = value;
    else if (name === 'content-length') hasBody ||= value !== '0';
    else if (name === 'transfer-encoding') hasBody = true;
    else if (name === 'x-forwarded-for') xff = xff ? `${xff}, ${value}` : value;
    if (REWRITTEN.has(name)) continue;
    if (HOP_BY_HOP.has(name) && !(keepUpgrade && (name === 'connection' || name === 'upgrade'))) continue;
    out.push(raw[i], value);
  }
  if (named !== undefined && !keepUpgrade) dropNamed(out, named);
  out.push('x-forwarded-for', xff ? `${xff}, ${remoteAddress}` : remoteAddress);
  if (host) out.push('x-forwarded-host', host);
  out.push('x-forwarded-proto', proto);
  return { headers: out, host, hasBody };
}

/**
 * Response headers from undici's raw Buffers to the flat string list `res.writeHead` accepts,
 * without hop-by-hop headers (Node sets its own framing and keep-alive for the client hop).
 */
export function forwardResponseHeaders(raw: readonly (Buffer | Buffer[] | string)[]): string[] {
  const out: string[] = [];
  let named: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = String(raw[i]);
    const v = raw[i + 1];
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) {
      if (lower === 'connection') named = String(v);
      continue;
    }
    if (Array.isArray(v)) for (const item of v) out.push(name, item.toString('latin1'));
    else out.push(name, typeof v === 'string' ? v : v.toString('latin1'));
  }
  if (named !== undefined) dropNamed(out, named);
  return out;
}

/** Header names a `Connection` value lists (e.g. `Connection: close, x-private` → `x-private`). */
export function connectionNames(connection: string): string[] {
  return connection
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s && s !== 'close' && s !== 'keep-alive' && s !== 'upgrade');
}

/** Removes headers listed in a `Connection` value. */
function dropNamed(out: string[], connection: string): void {
  const names = connectionNames(connection);
  if (names.length === 0) return;
  for (let i = out.length - 2; i >= 0; i -= 2) if (names.includes(out[i].toLowerCase())) out.splice(i, 2);
}

/** Serialises a request head for a raw upstream socket (upgrade pass-through). */
export function requestHead(method: string, url: string, headers: readonly string[]): string {
  let head = `${method} ${url} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return `${head}\r\n`;
}
