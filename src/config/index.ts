import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { parseRoleArgv } from './argv.js';
import { ConfigError } from './errors.js';
import { parseContainerPolicy, type ContainerPolicyConfig } from './container-policy.js';
import { DEFAULTS } from './defaults.js';
import { durationFlag } from './duration.js';
import { parseEtcd, type EtcdConfig } from './etcd.js';
import type { RoleName } from './flags.js';

export { ConfigError } from './errors.js';
export { DEFAULTS } from './defaults.js';
export { DEFAULT_ETCD_PREFIX, type EtcdConfig } from './etcd.js';
export { FLAGS, flagsOf, rolesOf, ROLE_NAMES, type FlagSpec, type RoleName } from './flags.js';
export { durationFlag, formatDuration, DURATION_EXAMPLES } from './duration.js';

/** Everything the long-running roles (`up`, `agent`, `server`, `registrar`) are configured by. */
export interface MaestroConfig {
  dataDir: string;
  host: string;
  /** Address registered for published ports and for `<host>.node.<zone>`. */
  advertise: string;
  meta: Record<string, string>;
  zone: string;
  dnsAddr: HostPort;
  /** Upstreams for names outside the zone; empty means REFUSED (never an open resolver). */
  dnsForward: HostPort[];
  dnsTtl: number;
  /** The containers' DNS listener (forwards outside the zone to `resolvConf`'s resolvers). */
  containerDns: ContainerDnsMode;
  /** Where the containers' listener reads the host's resolvers. */
  resolvConf: string;
  httpAddr: HostPort;
  /** Address the L4 proxy listeners bind to. */
  proxyBind: string;
  apiAddr: HostPort;
  apiToken?: string;
  /**
   * The agent's log endpoint (`up` on a cluster catalog, `agent`): absent means the default,
   * `<advertise>:4681` (another free port when that one is taken); `off` serves none.
   */
  agentAddr?: HostPort | 'off';
  consul?: string;
  /** The etcd cluster holding the catalog; never set together with `consul`. */
  etcd?: EtcdConfig;
  dockerHost?: string;
  /** Register container IP + container port instead of advertise address + host port. */
  internal: boolean;
  /** Anti-entropy period of the registrar. */
  resyncMs: number;
  /** Grace period before replicas on a down host are replaced. */
  hostDownGraceMs: number;
  /** TTL of the host liveness session. */
  hostTtlMs: number;
  logLevel: string;
  /** `auto`: pretty (pino-pretty) when stderr is a terminal, JSON lines otherwise. */
  logFormat: LogFormat;
  /**
   * What the proxies of `up` and `agent` log per exchange: `errors` (the default) keeps failed ones,
   * as Envoy's status>=500 filter does; HAProxy and Envoy log nothing unless configured, hence `off`.
   */
  accessLog: AccessLogMode;
  /** What the agent lets jobs do to this host (`--allow-host-path`, `--allow-privileged`, `--allow-cap`). */
  containerPolicy: ContainerPolicyConfig;
}

export interface HostPort {
  host: string;
  port: number;
}

/** `--access-log`: which proxied exchanges are logged. */
export type AccessLogMode = 'off' | 'errors' | 'all';
export const ACCESS_LOG_MODES: readonly AccessLogMode[] = ['off', 'errors', 'all'];

/** `--container-dns`: `off`, `auto` (the Docker bridge's gateway, port 53), or an address of your choice. */
export type ContainerDnsMode = { kind: 'off' } | { kind: 'auto' } | { kind: 'at'; addr: HostPort };

/** How logs are written: `auto` is pretty on a terminal, JSON lines otherwise. */
export type LogFormat = 'auto' | 'pretty' | 'json';

/**
 * Builds the configuration from flags and environment. Pure: no I/O beyond reading the machine's
 * hostname and interfaces for defaults, so it is tested with plain arrays and objects.
 * `role` decides which flags are accepted (`up`, the default, takes them all: it runs every part).
 * Throws ConfigError (code `usage`) on unknown flags, another role's flags or bad values, naming the flag.
 */
export function load(argv: string[], env: Record<string, string | undefined>, role: RoleName = 'up'): MaestroConfig {
  const values = parseRoleArgv(role, argv);
  const str = (name: string): string | undefined => values[name] as string | undefined;
  const zone = (str('zone') ?? DEFAULTS.zone).replace(/\.+$/, '').toLowerCase();
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(zone)) {
    throw new ConfigError(`--zone: "${zone}" is not a valid DNS name`);
  }
  const catalogs = chooseCatalog(str('consul'), str('etcd'), env);
  const dnsForwardText = str('dns-forward') ?? env.MAESTRO_DNS_FORWARD ?? '';
  const config: MaestroConfig = {
    dataDir: str('data-dir') ?? env.MAESTRO_DATA_DIR ?? DEFAULTS.dataDir,
    host: str('host') ?? env.MAESTRO_HOST ?? hostname(),
    advertise: str('advertise') ?? env.MAESTRO_ADVERTISE ?? firstNonLoopbackIPv4() ?? '127.0.0.1',
    meta: parseMeta((values.meta as string[] | undefined) ?? []),
    zone,
    dnsAddr: parseHostPort('--dns-addr', str('dns-addr') ?? DEFAULTS.dnsAddr),
    dnsForward: dnsForwardText
      ? dnsForwardText.split(',').map((a) => parseHostPort('--dns-forward', a.trim(), 53))
      : [],
    dnsTtl: parseTtl(str('dns-ttl') ?? String(DEFAULTS.dnsTtl)),
    containerDns: parseContainerDns(str('container-dns') ?? DEFAULTS.containerDns),
    resolvConf: str('resolv-conf') ?? DEFAULTS.resolvConf,
    httpAddr: parseHostPort('--http-addr', str('http-addr') ?? DEFAULTS.httpAddr),
    proxyBind: str('proxy-bind') ?? DEFAULTS.proxyBind,
    apiAddr: parseHostPort('--api-addr', str('api-addr') ?? DEFAULTS.apiAddr),
    apiToken: str('api-token') ?? env.MAESTRO_API_TOKEN,
    ...agentAddr(str('agent-addr') ?? env.MAESTRO_AGENT_ADDR),
    consul: catalogs.consul,
    etcd: parseEtcd(
      { prefix: str('etcd-prefix'), cacert: str('etcd-cacert'), cert: str('etcd-cert'), key: str('etcd-key'), user: str('etcd-user') },
      env,
      catalogs.etcd,
    ),
    dockerHost: str('docker-host') ?? env.DOCKER_HOST,
    internal: values.internal === true,
    resyncMs: durationFlag('--resync', str('resync') ?? `${DEFAULTS.resyncMs}ms`),
    hostDownGraceMs: durationFlag('--host-down-grace', str('host-down-grace') ?? `${DEFAULTS.hostDownGraceMs}ms`),
    hostTtlMs: DEFAULTS.hostTtlMs,
    logLevel: str('log-level') ?? env.MAESTRO_LOG_LEVEL ?? DEFAULTS.logLevel,
    logFormat: parseLogFormat(str('log-format') ?? env.MAESTRO_LOG_FORMAT ?? 'auto'),
    accessLog: parseAccessLog(str('access-log') ?? env.MAESTRO_ACCESS_LOG ?? DEFAULTS.accessLog),
    containerPolicy: parseContainerPolicy(values),
  };
  if (config.consul && !/^https?:\/\//.test(config.consul)) config.consul = `http://${config.consul}`;
  return config;
}

/**
 * One cluster, one catalog: --consul and --etcd together are a usage error. A flag beats the other
 * store's environment variable (a CONSUL_HTTP_ADDR left in the shell does not veto --etcd); both
 * environment variables and no flag is ambiguous, hence an error too.
 */
function chooseCatalog(consulFlag: string | undefined, etcdFlag: string | undefined, env: Record<string, string | undefined>): { consul?: string; etcd?: string } {
  if (consulFlag !== undefined && etcdFlag !== undefined) {
    throw new ConfigError('--consul and --etcd both given: a cluster keeps its catalog in one store; choose one');
  }
  if (consulFlag !== undefined) return { consul: consulFlag };
  if (etcdFlag !== undefined) return { etcd: etcdFlag };
  const consul = env.CONSUL_HTTP_ADDR || undefined;
  const etcd = env.MAESTRO_ETCD_ENDPOINTS || undefined;
  if (consul && etcd) {
    throw new ConfigError('CONSUL_HTTP_ADDR and MAESTRO_ETCD_ENDPOINTS are both set: unset one, or choose with --consul / --etcd');
  }
  return { consul, etcd };
}

function agentAddr(text: string | undefined): { agentAddr?: HostPort | 'off' } {
  if (text === undefined || text === '') return {};
  return { agentAddr: text === 'off' ? 'off' : parseHostPort('--agent-addr', text) };
}

export function parseHostPort(flag: string, text: string, defaultPort?: number): HostPort {
  const m = /^(?:\[([^\]]+)\]|([^:]*))(?::(\d+))?$/.exec(text);
  const host = m?.[1] ?? m?.[2] ?? '';
  const portText = m?.[3];
  if (!m || (portText === undefined && defaultPort === undefined)) {
    throw new ConfigError(`${flag}: expected HOST:PORT, got "${text}"`);
  }
  const port = portText === undefined ? defaultPort! : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new ConfigError(`${flag}: bad port in "${text}"`);
  return { host: host || '0.0.0.0', port };
}

/** `off`, `auto`, or `ADDR[:PORT]` (port 53 when left out; port 0 picks one, for tests). */
export function parseContainerDns(text: string): ContainerDnsMode {
  if (text === 'off' || text === 'auto') return { kind: text };
  if (text === '') throw new ConfigError('--container-dns: expected off, auto or ADDR[:PORT], got ""');
  const addr = parseHostPort('--container-dns', text, 53);
  if (isIP(addr.host) === 0) throw new ConfigError(`--container-dns: expected off, auto or an IP address [with :PORT], got "${text}"`);
  if (addr.host === '0.0.0.0' || addr.host === '::') {
    throw new ConfigError(`--container-dns: "${text}" would serve every interface, forwarding included (an open resolver); give one address`);
  }
  return { kind: 'at', addr };
}

/**
 * A flag's duration (src/config/duration.ts): milliseconds, or a ConfigError naming the flag.
 * Kept under this name for the CLI verbs that import it from here.
 */
export const parseDuration = durationFlag;

/** `--dns-ttl`: whole seconds, as a duration (`30s`, `1m`) or a bare number (DNS's own unit, as in zone files). */
function parseTtl(text: string): number {
  const seconds = /^\d+$/.test(text) ? Number(text) : durationFlag('--dns-ttl', text) / 1000;
  if (!Number.isInteger(seconds) || seconds > 86_400) {
    throw new ConfigError(`--dns-ttl: expected whole seconds up to a day (30, 30s, 1m), got "${text}"`);
  }
  return seconds;
}

function parseLogFormat(text: string): LogFormat {
  if (text === 'auto' || text === 'pretty' || text === 'json') return text;
  throw new ConfigError(`--log-format: expected pretty or json (auto: pretty on a terminal), got "${text}"`);
}

function parseAccessLog(text: string): AccessLogMode {
  const mode = ACCESS_LOG_MODES.find((m) => m === text);
  if (!mode) throw new ConfigError(`--access-log: expected ${ACCESS_LOG_MODES.join('|')}, got "${text}"`);
  return mode;
}

function parseMeta(pairs: string[]): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--meta: expected key=value, got "${pair}"`);
    meta[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return meta;
}

function firstNonLoopbackIPv4(): string | undefined {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}
