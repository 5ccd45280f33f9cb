import { timingSafeEqual, createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { ApiError } from './errors.js';

/**
 * The API's access rule, decided by where it is bound rather than by who calls:
 * - bound to loopback (127.0.0.0/8, ::1, localhost): only local users can reach it, no token needed
 *   (a token, if configured anyway, is then required too);
 * - bound anywhere else: a bearer token is mandatory, for every caller, loopback ones included,
 *   because behind NAT or a local proxy the peer address says nothing about who the caller is.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  // IPv4-mapped IPv6 loopback (::ffff:127.0.0.1).
  return h.startsWith('::ffff:127.');
}

export class ApiConfigError extends Error {
  readonly code = 'usage';
  constructor(message: string) {
    super(message);
    this.name = 'ApiConfigError';
  }
}

/** Throws ApiConfigError when the bind address needs a token and none was given. */
export function checkBindPolicy(host: string, token: string | undefined): void {
  if (!isLoopbackHost(host) && !token) {
    throw new ApiConfigError(
      `the API is bound to ${host}, which is not a loopback address: set a bearer token with ` +
        `--api-token or MAESTRO_API_TOKEN (or bind --api-addr to 127.0.0.1)`,
    );
  }
}

/** Paths reachable without a token: liveness says nothing about the cluster. */
const OPEN_PATHS = new Set(['/healthz']);

/** A request guard for a configured token; `undefined` token means no check. */
export function authorizer(token: string | undefined): (path: string, authorization: string | undefined) => void {
  if (!token) return () => {};
  // Compare digests so the comparison takes the same time whatever the length of the guess.
  const want = createHash('sha256').update(token).digest();
  return (path, authorization) => {
    if (OPEN_PATHS.has(path)) return;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m) throw new ApiError('unauthorized', 'a bearer token is required (Authorization: Bearer <token>)');
    const got = createHash('sha256').update(m[1]!).digest();
    if (!timingSafeEqual(want, got)) throw new ApiError('unauthorized', 'invalid bearer token');
  };
}
