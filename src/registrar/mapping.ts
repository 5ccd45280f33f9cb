/**
 * The pure core of the registrar: one inspected container → the service instances it should have in
 * the catalog. No I/O, no clock: the same container always maps to the same instances, which is what
 * makes anti-entropy idempotent and a registrar restart a no-op.
 */
import type { Health, ServiceInstance } from '../catalog/types.js';
import type { ContainerInfo, PortBinding } from '../docker/types.js';
import { ContainerSettings, dnsLabel, imageBaseName, parseTags } from './labels.js';

export interface MappingContext {
  /** This host's name: the owner written into every instance and its ID. */
  host: string;
  /** The address other hosts reach published ports at. */
  advertise: string;
  /** Register container IP + container port instead (the `--internal` flag). */
  internal: boolean;
}

/** One port chosen for registration, with the endpoint it is reachable at. */
interface Endpoint {
  containerPort: number;
  protocol: 'tcp' | 'udp';
  address: string;
  port: number;
}

export function containerToInstances(c: ContainerInfo, ctx: MappingContext): ServiceInstance[] {
  if (!c.running) return [];
  // Agents sharing one daemon (several "hosts" on a machine) mark their containers; others' are not ours.
  const owner = c.labels['maestro.host'];
  if (owner !== undefined && owner !== ctx.host) return [];
  const settings = new ContainerSettings(c);
  if (settings.ignored()) return [];
  const endpoints = endpointsOf(c, ctx, internalFor(c, ctx)).filter((e) => !settings.ignored(e.containerPort));
  // `-<port>` only when several port *numbers* remain: 53/tcp + 53/udp is one service with two instances.
  const grouped = new Set(endpoints.map((e) => e.containerPort)).size > 1;
  const name = dnsLabel(c.labels['maestro.instance'] ?? c.name) || c.id.slice(0, 12);
  const health = healthOf(c);
  const shared = { ...settings.jobLabels(), ...settings.maestroMeta() };
  const base = { container_id: c.id, container_name: c.name, image: c.image };

  return endpoints
    .map((e): ServiceInstance => {
      const found = settings.get('name', e.containerPort);
      const service = serviceName(found?.value ?? imageBaseName(c.image), grouped && !found?.perPort ? e.containerPort : undefined);
      const tags = parseTags(settings.get('tags', e.containerPort)?.value);
      if (e.protocol === 'udp' && !tags.includes('udp')) tags.push('udp');
      const meta: Record<string, string> = { ...shared, ...settings.attributes(e.containerPort), ...base };
      // A container-wide proxy label is only unambiguous when one port is registered.
      const perPort = settings.get('proxy', e.containerPort);
      const proxy = perPort?.perPort || endpoints.length === 1 ? perPort : undefined;
      const proxyPort = validPort(proxy?.value ?? meta.proxy_port);
      if (proxyPort === undefined) delete meta.proxy_port;
      else meta.proxy_port = String(proxyPort);
      return {
        id: `${ctx.host}:${c.id}:${e.containerPort}${e.protocol === 'udp' ? '/udp' : ''}`,
        service,
        name,
        host: ctx.host,
        address: e.address,
        port: e.port,
        tags,
        meta,
        health,
      };
    })
    .sort((a, b) => portOf(a) - portOf(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The container port encoded in an instance ID (`…:<port>` or `…:<port>/udp`). */
function portOf(i: ServiceInstance): number {
  return parseInt(i.id.slice(i.id.lastIndexOf(':') + 1), 10);
}

function internalFor(c: ContainerInfo, ctx: MappingContext): boolean {
  const mode = c.labels['maestro.address']?.trim().toLowerCase();
  if (mode === 'internal') return true;
  if (mode === 'advertise' || mode === 'published') return false;
  return ctx.internal;
}

/** Docker HEALTHCHECK → catalog health; a paused container answers nothing, so it is critical. */
export function healthOf(c: ContainerInfo): Health {
  if (c.paused) return 'critical';
  switch (c.health) {
    case 'unhealthy':
      return 'critical';
    case 'starting':
      return 'warning';
    default:
      return 'passing';
  }
}

function endpointsOf(c: ContainerInfo, ctx: MappingContext, internal: boolean): Endpoint[] {
  const byPort = new Map<string, PortBinding[]>();
  for (const p of c.ports) {
    const key = `${p.containerPort}/${p.protocol}`;
    byPort.set(key, [...(byPort.get(key) ?? []), p]);
  }
  const out: Endpoint[] = [];
  for (const bindings of byPort.values()) {
    const { containerPort, protocol } = bindings[0]!;
    const at = (address: string, port: number) => out.push({ containerPort, protocol, address, port });
    // Host networking: the container's ports are the host's, published or not.
    if (c.networkMode === 'host') at(ctx.advertise, containerPort);
    else if (internal) {
      // No own IP (network none, or joined to another container's namespace): nothing to register.
      if (c.ipAddress) at(c.ipAddress, containerPort);
    } else {
      const chosen = pickBinding(bindings, ctx.advertise);
      if (chosen) at(chosen.address, chosen.port);
    }
  }
  return out;
}

/**
 * Of a port's host bindings, the one other hosts can reach: a wildcard binding (→ advertise address)
 * first, then one on a specific address. A binding on loopback only is unreachable from elsewhere, so
 * it counts only when the advertise address itself is loopback (single-machine setups and tests).
 */
function pickBinding(bindings: PortBinding[], advertise: string): { address: string; port: number } | undefined {
  const published = bindings.filter((b) => b.hostPort !== undefined && b.hostPort > 0);
  const wildcard = published.find((b) => isWildcard(b.hostIp));
  if (wildcard) return { address: advertise, port: wildcard.hostPort! };
  const specific = published.find((b) => !isLoopback(b.hostIp!)) ?? (isLoopback(advertise) ? published[0] : undefined);
  return specific ? { address: specific.hostIp!, port: specific.hostPort! } : undefined;
}

function isWildcard(ip: string | undefined): boolean {
  return ip === undefined || ip === '' || ip === '0.0.0.0' || ip === '::';
}

export function isLoopback(ip: string): boolean {
  return /^127\./.test(ip) || ip === '::1' || /^::ffff:127\./i.test(ip) || ip === 'localhost';
}

function serviceName(raw: string, port: number | undefined): string {
  const suffix = port === undefined ? '' : `-${port}`;
  const base = dnsLabel(raw, 63 - suffix.length) || 'service';
  return base + suffix;
}

function validPort(text: string | undefined): number | undefined {
  if (text === undefined || !/^\s*\d+\s*$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : undefined;
}
