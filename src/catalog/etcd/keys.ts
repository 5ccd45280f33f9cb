/**
 * The etcd key layout, in one place (README.md, "Key layout"). Pure: no I/O.
 *
 *   <prefix>hosts/<host>              HostRecord JSON, no lease: a dead host stays listed (alive: false)
 *   <prefix>hosts/<host>/alive        the session id, bound to the host's lease: alive = key exists
 *   <prefix>instances/<host>/<id>     ServiceInstance JSON, bound to the owner's lease
 *   <prefix>kv/<port key>             the port's KV, verbatim (`maestro/jobs/web`); a held lock is
 *                                     the key bound to the holder's lease
 *
 * Host names and instance IDs are URI-encoded inside keys, so a `/` in an ID (`…:53/udp`) or a
 * host name never makes one host's range contain another's.
 */
import { CatalogError } from '../types.js';

export const DEFAULT_PREFIX = '/maestro/';

export class KeyLayout {
  readonly hostsPrefix: string;
  readonly instancesPrefix: string;
  readonly kvPrefix: string;

  constructor(readonly prefix: string = DEFAULT_PREFIX) {
    if (!prefix.endsWith('/')) throw new CatalogError('bad_request', `etcd prefix must end with "/", got "${prefix}"`);
    this.hostsPrefix = `${prefix}hosts/`;
    this.instancesPrefix = `${prefix}instances/`;
    this.kvPrefix = `${prefix}kv/`;
  }

  host(name: string): string {
    return this.hostsPrefix + encodeURIComponent(name);
  }

  alive(name: string): string {
    return `${this.host(name)}/alive`;
  }

  hostInstances(host: string): string {
    return `${this.instancesPrefix}${encodeURIComponent(host)}/`;
  }

  instance(host: string, id: string): string {
    return this.hostInstances(host) + encodeURIComponent(id);
  }

  kv(key: string): string {
    return this.kvPrefix + key;
  }

  /** The port's key of an etcd key under `kv/`. */
  portKey(etcdKey: string): string {
    return etcdKey.slice(this.kvPrefix.length);
  }

  /** Classifies a key under `hosts/`: a record or a liveness key, and whose. */
  parseHostKey(etcdKey: string): { host: string; alive: boolean } | undefined {
    const parts = etcdKey.slice(this.hostsPrefix.length).split('/');
    if (parts.length === 1) return { host: decodeURIComponent(parts[0]!), alive: false };
    if (parts.length === 2 && parts[1] === 'alive') return { host: decodeURIComponent(parts[0]!), alive: true };
    return undefined;
  }
}

/**
 * The end of etcd's prefix range (what `etcdctl get --prefix` sends): the prefix with its last byte
 * that is not 0xff incremented and the rest cut; "\0" (the whole keyspace) when every byte is 0xff.
 */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]!++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/**
 * The owner host of an instance ID (`<host>:<container>:<port>`, the port's format), for
 * operations that get only an ID from a process that did not register it.
 */
export function hostOfId(id: string): string {
  const colon = id.indexOf(':');
  return colon > 0 ? id.slice(0, colon) : id;
}

/**
 * Session ids are etcd lease IDs in hex, as `etcdctl lease grant` prints them. Returns the decimal
 * string etcd's API takes, or undefined for anything that cannot be a lease (a Consul UUID, 0, junk).
 */
export function leaseOfSession(session: string): string | undefined {
  if (!/^[0-9a-f]{1,16}$/i.test(session)) return undefined;
  const id = BigInt(`0x${session}`);
  return id > 0n && id < 2n ** 63n ? id.toString() : undefined;
}

export function sessionOfLease(lease: string): string {
  return BigInt(lease).toString(16).padStart(16, '0');
}
