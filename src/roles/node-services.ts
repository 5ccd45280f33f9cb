import { networkInterfaces } from 'node:os';
import type { Catalog } from '../catalog/index.js';
import { formatHostPort, type HostPort } from '../config/index.js';
import type { ContainerLogs, DockerPort, EngineInfo } from '../docker/index.js';
import { componentLogger } from '../log/index.js';
import { startAgent, type Agent } from '../agent/index.js';
import { localLogs, startLogEndpoint, type LocalLogs } from '../agent/logs/index.js';
import { localVolumes, type LocalVolumes } from '../agent/volumes/index.js';
import { startDnsServer, type DnsServer } from '../dns/index.js';
import { bindProblem, containerResolver, planContainerDns } from '../dns/container.js';
import { readResolvConf, withoutSelf } from '../dns/resolv-conf.js';
import { startProxy, type Proxy } from '../proxy/index.js';
import { startRegistrar, type Registrar } from '../registrar/index.js';
import type { Runtime } from './runtime.js';

/** The agent's log endpoint's port unless --agent-addr says otherwise (next to the API's 4680). */
const DEFAULT_AGENT_PORT = 4681;

/** What runs on every host: registrar, agent, DNS server and proxies. */
export interface NodeServices {
  registrar: Registrar;
  agent: Agent;
  dns: DnsServer;
  proxy: Proxy;
  /** This host's replicas' logs, read in-process (the API of `maestro up` uses it directly). */
  logs?: LocalLogs;
  /** Removes this host's replica volumes (`maestro volumes rm`; the API of `maestro up` uses it directly). */
  volumes: LocalVolumes;
  addresses: { dns: HostPort; http: HostPort; containerDns?: HostPort; agentLogs?: HostPort };
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
  // Bound before the agent starts: containers are pointed only at a resolver that answers.
  const containerDns = await serveContainers(rt, dns, engine.bridgeGateway);

  const proxy = await startProxy({
    catalog,
    zone: config.zone,
    httpAddr: config.httpAddr,
    l4Bind: config.proxyBind,
    accessLog: config.accessLog,
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
    // The agent's HTTP/TCP checks decide the health of the containers it runs, with Docker's view.
    health: (labels) => agent?.health(labels),
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
    ...containerResolver(containerDns, config.dnsAddr, containerFacing, config.zone),
    onVouching: () => registrar.resync(),
    containerPolicy: config.containerPolicy,
    onHealthChange: (containerId) => registrar.refresh(containerId),
  });
  // Containers keep running when the agent stops: the next start adopts them.
  agent = hostAgent;
  rt.onShutdown('agent', () => hostAgent.stop());

  const logs = 'logs' in docker ? localLogs({ docker: docker as DockerPort & ContainerLogs, host: config.host }) : undefined;
  const volumes = localVolumes(docker);
  const agentLogs = logs ? await serveLogs(rt, catalog, logs, volumes) : undefined;
  const addresses = { dns: dns.address(), http: proxy.httpAddress(), ...(containerDns ? { containerDns } : {}), ...(agentLogs ? { agentLogs } : {}) };
  return { registrar, agent: hostAgent, dns, proxy, ...(logs ? { logs } : {}), volumes, addresses };
}

/**
 * The agent's log endpoint (src/agent/logs/), published in the catalog for the servers. Only on a
 * cluster catalog: on the embedded store there is no other host, and `maestro up`'s API reads this
 * host's logs in-process. The default port, when taken, gives way to a free one.
 */
async function serveLogs(rt: Runtime, catalog: Catalog, logs: LocalLogs, volumes: LocalVolumes): Promise<HostPort | undefined> {
  const { config, log } = rt;
  if (config.agentAddr === 'off' || (!config.agentAddr && !config.etcd && !config.consul)) return undefined;
  const addr = config.agentAddr ?? { host: config.advertise, port: DEFAULT_AGENT_PORT };
  const wildcard = addr.host === '0.0.0.0' || addr.host === '::';
  let endpoint;
  try {
    endpoint = await startLogEndpoint({
      catalog,
      host: config.host,
      addr,
      portFallback: !config.agentAddr,
      ...(wildcard ? { publishHost: config.advertise } : {}),
      logs,
      volumes,
      logger: componentLogger(log, 'agent-logs'),
    });
  } catch (err) {
    // Asked for explicitly: the user wants to know. The default: logs are not worth a failed start.
    if (config.agentAddr) throw err;
    log.warn({ err, addr: formatHostPort(addr) }, `cannot serve replicas' logs on ${formatHostPort(addr)}: \`maestro logs\` cannot read this host's replicas; --agent-addr picks another address`);
    return undefined;
  }
  rt.onShutdown('agent-logs', () => endpoint.stop());
  return endpoint.address();
}

/**
 * The containers' DNS listener (src/dns/container.ts): on the bridge gateway, port 53 by default,
 * forwarding names outside the zone to the host's resolvers. A taken or unavailable address is a
 * warning, never a failed start: another Maestro on the same Docker daemon, systemd-resolved or
 * dnsmasq may hold it, and everything else works without it.
 */
async function serveContainers(rt: Runtime, dns: DnsServer, bridgeGateway: string | undefined): Promise<HostPort | undefined> {
  const { config, log } = rt;
  const plan = planContainerDns(config.containerDns, bridgeGateway, config.dnsAddr);
  if (!plan.listen) {
    log.info({ reason: plan.reason }, 'no DNS listener for containers');
    return undefined;
  }
  let upstreams: HostPort[] = [];
  try {
    const local = new Set(Object.values(networkInterfaces()).flatMap((as) => (as ?? []).map((a) => a.address)));
    upstreams = withoutSelf(readResolvConf(config.resolvConf), [plan.listen, dns.address()], local);
    if (upstreams.length === 0) log.warn({ file: config.resolvConf }, `${config.resolvConf} names only this server: containers get REFUSED for names outside the zone`);
  } catch (err) {
    log.warn({ err, file: config.resolvConf }, `cannot read the host's resolvers from ${config.resolvConf}: containers get REFUSED for names outside the zone`);
  }
  try {
    return await dns.addListener(plan.listen, upstreams);
  } catch (err) {
    const why = bindProblem(((err as Error).cause as NodeJS.ErrnoException | undefined)?.code ?? (err as Error).message);
    log.warn(
      { err, addr: plan.listen },
      `cannot serve DNS for containers on ${formatHostPort(plan.listen)}: ${why}; scheduled containers keep Docker's default resolver. ` +
        '--container-dns ADDR picks another address, --container-dns off turns this off',
    );
    return undefined;
  }
}
