/**
 * One service's part of the route spec, and the test of whether a new snapshot changed it: only the
 * fields routing reads (id, address, port, health, name, the proxy port and access-log meta) count,
 * so a catalog write that changes nothing the proxy serves costs a comparison, not a rebuild.
 */
import type { ServiceInstance } from '../catalog/types.js';
import { ACCESS_LOG_META } from './access-log.js';

/** The instance meta key that asks for an L4 listener (set by the registrar from `maestro.proxy`). */
export const PROXY_PORT_META = 'proxy_port';

/** What the data path needs of one instance. */
export interface InstanceSpec {
  /** `<id>@<address>:<port>`: a moved instance is a new upstream (new pool), not a mutated one. */
  key: string;
  id: string;
  service: string;
  name: string;
  address: string;
  port: number;
}

export function instanceKey(i: Pick<ServiceInstance, 'id' | 'address' | 'port'>): string {
  return `${i.id}@${i.address}:${i.port}`;
}

export function serviceHost(service: string, zone: string): string {
  return `${service}.service.${zone}`.toLowerCase();
}

/** True when `next` routes exactly as `prev` did (same instances, same order, same routing fields). */
export function sameRouting(prev: readonly ServiceInstance[], next: readonly ServiceInstance[]): boolean {
  if (prev.length !== next.length) return false;
  for (let i = 0; i < prev.length; i++) {
    const a = prev[i]!;
    const b = next[i]!;
    if (a === b) continue;
    if (a.id !== b.id || a.address !== b.address || a.port !== b.port || a.health !== b.health || a.name !== b.name) return false;
    if (a.meta?.[PROXY_PORT_META] !== b.meta?.[PROXY_PORT_META] || a.meta?.[ACCESS_LOG_META] !== b.meta?.[ACCESS_LOG_META]) return false;
  }
  return true;
}

/**
 * The routing part of one service's spec: instances sorted by key, passing ones, L4 claims, problems.
 * `before` (the service's previous instances): an instance whose fields are unchanged keeps its
 * `InstanceSpec` object — a health flip rebuilt all of a service's, ~1 KB that lived until its next
 * change (old-generation garbage at 100 changes a second).
 */
export function serviceSpecOf(service: string, zone: string, source: readonly ServiceInstance[], before?: readonly InstanceSpec[]) {
  const problems: string[] = [];
  const all: InstanceSpec[] = [];
  const healthy: InstanceSpec[] = [];
  const claims = new Map<number, InstanceSpec[]>();
  const kept = before && before.length > 0 ? new Map(before.map((i) => [i.id, i])) : undefined;
  const specOf = (inst: ServiceInstance): InstanceSpec => {
    const old = kept?.get(inst.id);
    if (old !== undefined && old.address === inst.address && old.port === inst.port && old.name === inst.name && old.service === inst.service) return old;
    return Object.freeze({ key: instanceKey(inst), id: inst.id, service: inst.service, name: inst.name, address: inst.address, port: inst.port });
  };
  const sorted = source.map((inst) => ({ inst, spec: specOf(inst) })).sort((a, b) => (a.spec.key < b.spec.key ? -1 : a.spec.key > b.spec.key ? 1 : 0));
  for (const { inst, spec } of sorted) {
    all.push(spec);
    const raw = inst.meta?.[PROXY_PORT_META];
    const proxyPort = raw === undefined || raw === '' ? undefined : parsePort(raw);
    if (proxyPort === null) problems.push(`instance ${inst.id}: ${PROXY_PORT_META}="${raw}" is not a port 1..65535`);
    if (inst.health !== 'passing') continue;
    healthy.push(spec);
    if (typeof proxyPort === 'number') {
      const list = claims.get(proxyPort);
      if (list) list.push(spec);
      else claims.set(proxyPort, [spec]);
    }
  }
  for (const list of claims.values()) Object.freeze(list);
  return {
    service,
    host: serviceHost(service, zone),
    healthy: Object.freeze(healthy),
    all: Object.freeze(all),
    // Most services claim no port and have no problem: one shared empty map and list, not one each.
    claims: claims.size === 0 ? NO_CLAIMS : (claims as ReadonlyMap<number, readonly InstanceSpec[]>),
    problems: problems.length === 0 ? NO_PROBLEMS : Object.freeze(problems),
  };
}

const NO_CLAIMS: ReadonlyMap<number, readonly InstanceSpec[]> = new Map();
const NO_PROBLEMS: readonly string[] = Object.freeze([]);

function parsePort(text: string): number | null {
  const n = Number(text);
  return /^\d+$/.test(text.trim()) && n >= 1 && n <= 65_535 ? n : null;
}
