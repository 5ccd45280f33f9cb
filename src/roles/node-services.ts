import type { Catalog } from '../catalog/index.js';
import type { HostPort } from '../config/index.js';
import type { DockerPort, EngineInfo } from '../docker/index.js';
import { componentLogger } from '../log/index.js';
import { startAgent, type Agent } from '../agent/index.js';
import { startDnsServer, type DnsServer } from '../dns/index.js';
import { startProxy, type Proxy } from '../proxy/index.js';
import { startRegistrar, type Registrar } from '../registrar/index.js';
import type { Runtime } from './runtime.js';

/** What runs on every host: registrar, agent, DNS server and proxies. */
export interface NodeServices {
  registrar: Registrar;
  agent: Agent;
  dns: DnsServer;
  proxy: Proxy;
  addresses: { dns: HostPort; http: HostPort };
}

export async function startNodeServices(rt: Runtime, catalog: Catalog, docker: DockerPort, engine: EngineInfo): Promise<NodeServices> {
  const { config, log } = rt;
  // Containers reach this host's proxies (and DNS) at the default bridge's gateway, e.g. 172.17.0.1.
  const containerFacing = engine.bridgeGateway ?? config.advertise;
  // Serving first: DNS and proxies answer from the last known catalog state even before Docker syncs.
  const dns = await startDnsServer({
    catalog,
    zone: config.zone,
    ttl: config.dnsTtl,
    addr: config.dnsAddr,
    forward: config.dnsForward,
    nsAddress: config.advertise,
    logger: componentLogger(log, 'dns'),
  });
  rt.onShutdown('dns', () => dns.stop());

  const proxy = await startProxy({
    catalog,
    zone: config.zone,
    httpAddr: config.httpAddr,
    l4Bind: config.proxyBind,
    logger: log,
  });
  rt.onShutdown('proxy', () => proxy.stop());

  // The registrar asks the agent (started next) whether a scheduled container may be served.
  let agent: Agent | undefined;
  const registrar = startRegistrar({
    docker,
    catalog,
    host: config.host,
    advertise: config.advertise,
    internal: config.internal,
    resyncMs: config.resyncMs,
    logger: componentLogger(log, 'registrar'),
    // The agent fences this host's scheduled containers (src/registrar/fence.ts).
    vouch: (labels) => agent?.vouch(labels) ?? 'unsure',
  });
  rt.onShutdown('registrar', () => registrar.stop());

  const hostAgent = startAgent({
    catalog,
    docker,
    host: config.host,
    advertise: config.advertise,
    meta: config.meta,
    proxyHost: containerFacing,
    logger: componentLogger(log, 'agent'),
    heartbeatMs: config.hostTtlMs,
    dns: containerResolvers(config.dnsAddr, containerFacing),
    onVouching: () => registrar.resync(),
  });
  // Containers keep running when the agent stops: the next start adopts them.
  agent = hostAgent;
  rt.onShutdown('agent', () => hostAgent.stop());

  return { registrar, agent: hostAgent, dns, proxy, addresses: { dns: dns.address(), http: proxy.httpAddress() } };
}

/**
 * Docker's `--dns` takes addresses only (port 53), so containers can use the cluster DNS server as
 * their resolver only when it listens on port 53 at an address they reach (e.g. `--dns-addr 172.17.0.1:53`).
 */
function containerResolvers(dnsAddr: HostPort, containerFacing: string): string[] | undefined {
  if (dnsAddr.port !== 53 || dnsAddr.host.startsWith('127.') || dnsAddr.host === '::1') return undefined;
  const wildcard = dnsAddr.host === '0.0.0.0' || dnsAddr.host === '::';
  return [wildcard ? containerFacing : dnsAddr.host];
}
