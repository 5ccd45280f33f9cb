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

/** The routing part of one service's spec: instances sorted by key, passing ones, L4 claims, problems. */
export function serviceSpecOf(service: string, zone: string, source: readonly ServiceInstance[]) {
  const problems: string[] = [];
  const all: InstanceSpec[] = [];
  const healthy: InstanceSpec[] = [];
  const claims = new Map<number, InstanceSpec[]>();
  const sorted = source.map((inst) => ({ inst, key: instanceKey(inst) })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const { inst, key } of sorted) {
    const spec: InstanceSpec = Object.freeze({ key, id: inst.id, service: inst.service, name: inst.name, address: inst.address, port: inst.port });
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
    claims: claims as ReadonlyMap<number, readonly InstanceSpec[]>,
    problems: Object.freeze(problems),
  };
}

function parsePort(text: string): number | null {
  const n = Number(text);
  return /^\d+$/.test(text.trim()) && n >= 1 && n <= 65_535 ? n : null;
}
