/**
 * Values as stored in etcd: plain JSON of the port's types. Decoding checks every field, because
 * anything with write access to the prefix can put bytes there: a malformed value is skipped (and
 * counted by the caller), never handed to DNS or the proxies. Pure: no I/O.
 */
import type { Capacity, Health, HostRecord, ServiceInstance } from '../types.js';

const HEALTH: ReadonlySet<string> = new Set(['passing', 'warning', 'critical']);

export function encodeInstance(i: ServiceInstance): string {
  return JSON.stringify({
    id: i.id, service: i.service, name: i.name, host: i.host, address: i.address, port: i.port,
    tags: i.tags, meta: i.meta, health: i.health,
  });
}

export function decodeInstance(bytes: Buffer | string): ServiceInstance | undefined {
  const v = parse(bytes);
  if (!v) return undefined;
  const { id, service, name, host, address, port, tags, meta, health } = v;
  if (![id, service, name, host, address].every((s) => typeof s === 'string' && s.length > 0)) return undefined;
  if (!Number.isInteger(port) || (port as number) < 0 || (port as number) > 65_535) return undefined;
  if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) return undefined;
  if (!isStringMap(meta) || typeof health !== 'string' || !HEALTH.has(health)) return undefined;
  return {
    id: id as string, service: service as string, name: name as string, host: host as string,
    address: address as string, port: port as number, tags: tags as string[], meta, health: health as Health,
  };
}

export function encodeHost(h: HostRecord): string {
  return JSON.stringify({ name: h.name, address: h.address, meta: h.meta, capacity: h.capacity });
}

export function decodeHost(bytes: Buffer | string): HostRecord | undefined {
  const v = parse(bytes);
  if (!v) return undefined;
  const { name, address, meta, capacity } = v;
  if (typeof name !== 'string' || !name || typeof address !== 'string' || !isStringMap(meta)) return undefined;
  const c = capacity as Partial<Capacity> | undefined;
  if (!c || typeof c !== 'object' || !Number.isFinite(c.cpu) || !Number.isFinite(c.memory)) return undefined;
  return { name, address, meta, capacity: { cpu: c.cpu!, memory: c.memory! } };
}

function parse(bytes: Buffer | string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(bytes.toString());
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function isStringMap(v: unknown): v is Record<string, string> {
  return !!v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}
