/**
 * Request checking for the fake Consul: a request that does not match Consul's documented API is a
 * `Violation` (recorded, answered 400 like Consul's decode errors). `ConsulError`s are answers a real
 * agent gives to well-formed requests (404 unknown ID, 500 invalid session, ...).
 */

export class Violation extends Error {}

export class ConsulError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Go's time.ParseDuration, which Consul uses for `wait`, TTL, LockDelay, ...; returns milliseconds. */
export function parseGoDuration(s: string): number | undefined {
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 };
  let total = 0;
  let pos = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * unit[m[2]!]!;
    pos = re.lastIndex;
  }
  return pos === s.length && pos > 0 ? total : undefined;
}

export type FieldType = 'string' | 'int' | 'bool' | 'string[]' | 'string-map' | 'duration' | 'object' | 'array';

export interface Schema {
  [field: string]: FieldType;
}

/** Checks a JSON object against a schema: unknown fields and wrong types are violations. */
export function checkFields(value: unknown, schema: Schema, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Violation(`${where}: body must be a JSON object`);
  const obj = value as Record<string, unknown>;
  for (const [k, v] of Object.entries(obj)) {
    const type = schema[k];
    if (!type) throw new Violation(`${where}: unknown field ${JSON.stringify(k)} (Consul's fields are case-sensitive PascalCase)`);
    if (!hasType(v, type)) throw new Violation(`${where}: field ${k} must be ${type}, got ${JSON.stringify(v)}`);
  }
  return obj;
}

function hasType(v: unknown, type: FieldType): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'int':
      return Number.isInteger(v);
    case 'bool':
      return typeof v === 'boolean';
    case 'string[]':
      return Array.isArray(v) && v.every((x) => typeof x === 'string');
    case 'string-map':
      return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
    case 'duration':
      return typeof v === 'string' && parseGoDuration(v) !== undefined;
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'array':
      return Array.isArray(v);
  }
}

/** Every query parameter must be one the endpoint documents. */
export function allowQuery(query: URLSearchParams, allowed: string[], where: string): void {
  for (const k of query.keys()) {
    if (!allowed.includes(k) && !['dc', 'ns', 'partition'].includes(k)) throw new Violation(`${where}: undocumented query parameter ${k}`);
  }
}

/** A documented boolean flag: present with an empty value, `true`/`false` or `1`/`0`. */
export function flag(query: URLSearchParams, name: string): boolean {
  if (!query.has(name)) return false;
  const v = query.get(name)!;
  if (!['', 'true', 'false', '1', '0'].includes(v)) throw new Violation(`?${name}=${v} is not a boolean`);
  return v === '' || v === 'true' || v === '1';
}

/** An unsigned integer query parameter (`cas`, `index`, `flags`). */
export function uint(query: URLSearchParams, name: string): number | undefined {
  if (!query.has(name)) return undefined;
  const v = query.get(name)!;
  if (!/^\d+$/.test(v)) throw new Violation(`?${name}=${v} is not an unsigned integer`);
  return Number(v);
}

/** Consul's meta rules (agent/structs ValidateServiceMetadata). */
export function checkMeta(meta: Record<string, string>, where: string): void {
  const entries = Object.entries(meta);
  if (entries.length > 64) throw new Violation(`${where}: more than 64 meta pairs`);
  for (const [k, v] of entries) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(k)) throw new Violation(`${where}: meta key ${JSON.stringify(k)} must match [A-Za-z0-9_-]{1,64}`);
    if (k.startsWith('consul-')) throw new Violation(`${where}: meta key ${k} uses the reserved consul- prefix`);
    if (v.length > 512) throw new Violation(`${where}: meta value of ${k} longer than 512`);
  }
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
