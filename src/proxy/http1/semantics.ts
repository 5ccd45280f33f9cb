/**
 * HTTP message semantics the engine acts on, one table for requests and responses alike: which
 * fields frame a message, which route it, which stay on their hop, and which ones a `Connection`
 * header may make the next hop drop (RFC 9110 §7.6.1). fields.ts classifies field lines with
 * `roleOf`; reply.ts applies the rules while it writes a head for the other side.
 */

/** What a field means to the engine; `Other` fields pass unchanged. */
export const enum Role {
  Other,
  /** Content-Length: framing. */
  Length,
  /** Transfer-Encoding: framing (and hop-by-hop: re-added when a chunked body passes through). */
  TransferEncoding,
  /** Host: routing. */
  Host,
  Connection,
  KeepAlive,
  Upgrade,
  /** Other hop-by-hop fields: TE, Proxy-Connection, Proxy-Authenticate, Proxy-Authorization. */
  HopByHop,
  /** X-Forwarded-For/-Host/-Proto: this proxy appends to or sets them. */
  Forwarded,
}

/**
 * Cheap pre-filters, so that most field names are not even sliced: every name with a role starts
 * with one of c h k p t u x (`firstLower`: its first character code, lowercased) and has one of
 * the lengths below.
 */
export function firstMayHaveRole(firstLower: number): boolean {
  return firstLower === 99 || firstLower === 104 || firstLower === 107 || firstLower === 112 || firstLower === 116 || firstLower === 117 || firstLower === 120;
}

export function lengthMayHaveRole(len: number): boolean {
  return len === 2 || len === 4 || len === 7 || len === 10 || len === 14 || (len >= 15 && len <= 19);
}

/** `lower`: a field name in lower case. */
export function roleOf(lower: string): Role {
  switch (lower) {
    case 'content-length':
      return Role.Length;
    case 'transfer-encoding':
      return Role.TransferEncoding;
    case 'host':
      return Role.Host;
    case 'connection':
      return Role.Connection;
    case 'keep-alive':
      return Role.KeepAlive;
    case 'upgrade':
      return Role.Upgrade;
    case 'te':
    case 'proxy-connection':
    case 'proxy-authenticate':
    case 'proxy-authorization':
      return Role.HopByHop;
    case 'x-forwarded-for':
    case 'x-forwarded-host':
    case 'x-forwarded-proto':
      return Role.Forwarded;
    default:
      return Role.Other;
  }
}

/**
 * Hop-by-hop fields (RFC 9110 §7.6.1): never forwarded as received. `Trailer` is not one of them
 * (RFC 9110 §6.6.2: it describes the end-to-end trailer section) and passes.
 */
export function isHopByHop(lower: string): boolean {
  const role = roleOf(lower);
  return role === Role.Connection || role === Role.KeepAlive || role === Role.Upgrade || role === Role.HopByHop || role === Role.TransferEncoding;
}

/**
 * Field names a `Connection` value asks the next hop to drop (`Connection: close, x-private` →
 * `x-private`). Framing and routing fields are never among them, nor the X-Forwarded-* this proxy
 * writes: dropping Content-Length or Transfer-Encoding while the body still follows would make the
 * next hop read the body as the next message (request smuggling, response splitting), and dropping
 * Host would send an HTTP/1.1 request without one. HAProxy and Envoy keep them too. Options
 * (close, keep-alive, upgrade) and hop-by-hop names are handled on their own.
 */
export function connectionNames(connection: string): string[] {
  const out: string[] = [];
  for (const part of connection.split(',')) {
    const name = part.trim().toLowerCase();
    if (name === '' || name === 'close' || name === 'keep-alive' || name === 'upgrade') continue;
    if (roleOf(name) !== Role.Other) continue;
    out.push(name);
  }
  return out;
}
