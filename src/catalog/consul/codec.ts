import { CatalogError, type Health, type KVEntry, type ServiceInstance } from '../types.js';

/**
 * Pure mapping between the catalog port's records and Consul's JSON shapes. No I/O here, so every
 * rule (meta key encoding, health derivation, duration formats) is tested with plain data.
 */

/** Meta keys Maestro reserves on every service it registers; their presence marks an instance as ours. */
export const META_NAME = 'maestro-name';
export const META_HOST = 'maestro-host';
/** Prefix of user meta keys, so they can never collide with the reserved ones. */
const USER_META_PREFIX = 'm-';

/**
 * Consul meta keys must match `[A-Za-z0-9_-]{1,64}`, must not start with `consul-`, at most 64 pairs,
 * values at most 512 characters (https://developer.hashicorp.com/consul/docs/services/configuration/services-configuration-reference#meta).
 * User keys like `maestro.job` or `label/tier` are escaped reversibly: `[A-Za-z0-9-]` stay, `_` becomes
 * `__`, every other UTF-8 byte becomes `_XX` (upper-case hex).
 */
export function encodeMetaKey(key: string): string {
  let out = USER_META_PREFIX;
  for (const byte of Buffer.from(key, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (/[A-Za-z0-9-]/.test(ch)) out += ch;
    else if (ch === '_') out += '__';
    else out += `_${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Inverse of `encodeMetaKey`; undefined for keys that are not encoded user keys. */
export function decodeMetaKey(encoded: string): string | undefined {
  if (!encoded.startsWith(USER_META_PREFIX)) return undefined;
  const bytes: number[] = [];
  const s = encoded.slice(USER_META_PREFIX.length);
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '_') {
      bytes.push(s.charCodeAt(i));
    } else if (s[i + 1] === '_') {
      bytes.push(0x5f);
      i++;
    } else {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The agent TTL check that carries an instance's health: Consul's own naming for a service's check. */
export function checkIdOf(instanceId: string): string {
  return `service:${instanceId}`;
}

export interface CheckPolicy {
  /** Go duration strings, as the agent API takes them. */
  ttl: string;
  deregisterCriticalServiceAfter: string;
}

/**
 * The `consul` package's options for PUT /v1/agent/service/register (it renames them to `ID`, `Name`,
 * `Tags`, `Address`, `Port`, `Meta` and `Check{CheckID,Name,TTL,Status,Notes,DeregisterCriticalServiceAfter}`,
 * see https://developer.hashicorp.com/consul/api-docs/agent/service#register-service).
 */
export function toRegistration(i: ServiceInstance, policy: CheckPolicy) {
  const meta: Record<string, string> = { [META_NAME]: i.name, [META_HOST]: i.host };
  for (const [k, v] of Object.entries(i.meta)) meta[encodeMetaKey(k)] = v;
  const entries = Object.entries(meta);
  if (entries.length > 64) throw new CatalogError('bad_request', `instance ${i.id}: more than 62 meta entries`);
  for (const [k, v] of entries) {
    if (k.length > 64) throw new CatalogError('bad_request', `instance ${i.id}: meta key too long once encoded: ${k}`);
    if (v.length > 512) throw new CatalogError('bad_request', `instance ${i.id}: meta value of ${k} exceeds 512 characters`);
  }
  return {
    id: i.id,
    name: i.service,
    tags: [...i.tags],
    address: i.address,
    port: i.port,
    meta,
    check: {
      checkid: checkIdOf(i.id),
      name: `maestro health of ${i.id}`,
      ttl: policy.ttl,
      status: i.health,
      notes: 'TTL re-asserted by the Maestro catalog adapter',
      deregistercriticalserviceafter: policy.deregisterCriticalServiceAfter,
    },
  };
}

/** One element of GET /v1/health/service/:service (https://developer.hashicorp.com/consul/api-docs/health#list-service-instances-for-service). */
export interface HealthEntry {
  Node: { Node: string; Address: string };
  Service: { ID: string; Service: string; Tags: string[] | null; Address: string; Port: number; Meta: Record<string, string> | null };
  Checks: { CheckID: string; Status: string; ServiceID: string }[];
}

/** Maps a health entry to an instance; undefined for services Maestro did not register. */
export function fromHealthEntry(e: HealthEntry): ServiceInstance | undefined {
  const meta = e.Service.Meta ?? {};
  if (meta[META_HOST] === undefined) return undefined;
  const user: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta)) {
    const key = decodeMetaKey(k);
    if (key !== undefined) user[key] = v;
  }
  return {
    id: e.Service.ID,
    service: e.Service.Service,
    name: meta[META_NAME] ?? e.Service.ID,
    host: meta[META_HOST],
    // An empty service address means "the node's address" in Consul.
    address: e.Service.Address || e.Node.Address,
    port: e.Service.Port,
    tags: [...(e.Service.Tags ?? [])],
    meta: user,
    health: worstHealth(e.Checks.map((c) => c.Status)),
  };
}

const RANK: Record<Health, number> = { passing: 0, warning: 1, critical: 2 };

/**
 * An instance is as healthy as its worst check, node checks (serfHealth) included: exactly the rule
 * `?passing` applies, so `listInstances` and `healthyInstances` never disagree.
 */
export function worstHealth(statuses: string[]): Health {
  let worst: Health = 'passing';
  for (const s of statuses) {
    const h: Health = s === 'passing' || s === 'warning' ? s : 'critical'; // maintenance, unknown: not served
    if (RANK[h] > RANK[worst]) worst = h;
  }
  return worst;
}

/** One element of GET /v1/kv/:key (https://developer.hashicorp.com/consul/api-docs/kv#read-key), already base64-decoded by the package. */
export interface KVItem {
  Key: string;
  Value: string | null;
  CreateIndex: number;
  ModifyIndex: number;
  Session?: string;
}

export function toKVEntry(item: KVItem): KVEntry {
  const entry: KVEntry = { key: item.Key, value: item.Value ?? '', createIndex: item.CreateIndex, modifyIndex: item.ModifyIndex };
  if (item.Session) entry.session = item.Session;
  return entry;
}

/** A Go duration for `wait=`: Consul parses it with time.ParseDuration, so milliseconds are exact. */
export function goDuration(ms: number): string {
  return `${Math.max(1, Math.round(ms))}ms`;
}

/** Session TTLs are whole seconds within Consul's bounds of 10 s .. 24 h (https://developer.hashicorp.com/consul/api-docs/session#ttl). */
export function sessionTtl(ms: number): string {
  return `${Math.min(86_400, Math.max(10, Math.ceil(ms / 1000)))}s`;
}

/** Consul caps `wait` at 10 minutes; the port's default is 30 s. */
export function waitMsOf(waitMs: number | undefined): number {
  return Math.min(600_000, Math.max(1, waitMs ?? 30_000));
}
