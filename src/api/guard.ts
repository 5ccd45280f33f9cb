/**
 * What keeps web pages out of the API. A browser lets any page send "simple" cross-origin requests
 * (text/plain or form bodies, no custom headers) and reach 127.0.0.1 by DNS rebinding, so the API:
 * - refuses any request whose `Origin` is not its own (`http(s)://` + the Host it was asked as):
 *   browsers always send Origin on cross-origin writes, other clients send none (Go's
 *   net/http CrossOriginProtection and Jupyter decide the same way, with 403);
 * - on a token-less API, answers only Host values naming a loopback address (localhost, 127.0.0.0/8,
 *   [::1]) at its own port: a rebound name carries the attacker's Host (Jupyter, geth, Syncthing and
 *   Vite refuse such Hosts with 403 too). With a token no page can act anyway: browsers never attach
 *   a bearer token on their own, so token holders may use any name;
 * - reads write bodies only when they declare JSON or YAML: a page can send text/plain and form
 *   types without asking, and any other type needs a CORS preflight this API never grants.
 * Pure functions over header values; server.ts applies them in that order, before routing.
 */
import { isIP } from 'node:net';
import { ApiError } from './errors.js';

export type BodyKind = 'json' | 'yaml';

/** application/yaml is RFC 9512's name; the others are the legacy names it lists, still in use. */
const MEDIA_TYPES: Record<string, BodyKind> = {
  'application/json': 'json',
  'application/yaml': 'yaml',
  'application/x-yaml': 'yaml',
  'text/yaml': 'yaml',
  'text/x-yaml': 'yaml',
};

const NAMES: Record<BodyKind, string> = { json: 'application/json', yaml: 'application/yaml' };

/** The kind of a write body from its Content-Type; `unsupported_media_type` for anything else. */
export function bodyKind(contentType: string | undefined, accepted: readonly BodyKind[]): BodyKind {
  const [type = '', ...params] = (contentType ?? '').split(';').map((p) => p.trim().toLowerCase());
  const kind = MEDIA_TYPES[type];
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/^"|"$/g, '');
  if (kind && accepted.includes(kind) && (charset === undefined || charset === 'utf-8' || charset === 'utf8')) return kind;
  const want = accepted.map((k) => NAMES[k]).join(' or ');
  const got = contentType ? `Content-Type "${contentType.slice(0, 100)}"` : 'no Content-Type';
  throw new ApiError('unsupported_media_type', `send the body as ${want} (UTF-8); got ${got}`);
}

/** `host[:port]` of a Host header; undefined when it is not one. */
export function parseAuthority(value: string): { hostname: string; port?: number } | undefined {
  const m = /^(\[[0-9a-f:.]+\]|[^\s:[\]/@]+)(?::(\d{1,5}))?$/i.exec(value);
  if (!m) return undefined;
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && port > 65_535) return undefined;
  return { hostname: m[1]!.toLowerCase(), port };
}

/** localhost or a loopback IP literal: names no one but this machine's resolver can point elsewhere. */
function isLoopbackName(hostname: string): boolean {
  if (hostname === 'localhost') return true;
  const ip = hostname.replace(/^\[|\]$/g, '');
  if (isIP(ip) === 4) return ip.startsWith('127.');
  if (isIP(ip) === 6) return ip === '::1' || /^(0{1,4}:){7}0{0,3}1$/.test(ip) || /^::ffff:127\./.test(ip);
  return false;
}

/** Token-less APIs only: the Host must name this loopback API, else `forbidden`. */
export function checkLoopbackHost(host: string | undefined, port: number): void {
  // HTTP/1.1 without Host is refused by node:http already; an HTTP/1.0 client without one is no browser.
  if (host === undefined) return;
  const a = parseAuthority(host);
  if (a && isLoopbackName(a.hostname) && (a.port ?? 80) === port) return;
  throw new ApiError(
    'forbidden',
    `Host "${host.slice(0, 100)}" does not name this API: without a token it answers only to localhost:${port}, ` +
      `127.0.0.1:${port} or [::1]:${port} (protection against DNS rebinding); use one of those, or set an API token`,
  );
}

/** A present Origin must be the API's own (scheme http/https, same host and port as Host), else `forbidden`. */
export function checkOrigin(origin: string | undefined, host: string | undefined): void {
  if (origin === undefined) return;
  let own = false;
  try {
    const o = new URL(origin);
    const web = o.protocol === 'http:' || o.protocol === 'https:';
    own = web && host !== undefined && parseAuthority(host) !== undefined && new URL(`${o.protocol}//${host}`).host === o.host;
  } catch {
    own = false; // "null" (sandboxed frames, file: pages) and garbage are nobody's origin
  }
  if (!own) {
    throw new ApiError(
      'forbidden',
      `requests from web pages of other origins are refused (Origin "${origin.slice(0, 100)}"): ` +
        'the API does not serve browsers; use the maestro CLI, curl or another HTTP client',
    );
  }
}
