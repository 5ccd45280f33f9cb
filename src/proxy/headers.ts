/**
 * The header rules between client and instance (RFC 9110 §7.6.1): hop-by-hop headers and the ones
 * the `Connection` header names stay on their hop. http1/reply.ts applies them while serialising.
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

/** Header names a `Connection` value lists (e.g. `Connection: close, x-private` → `x-private`). */
export function connectionNames(connection: string): string[] {
  return connection
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s && s !== 'close' && s !== 'keep-alive' && s !== 'upgrade');
}
