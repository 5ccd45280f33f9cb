import { DEFAULTS } from './defaults.js';
import { DEFAULT_ETCD_PREFIX } from './etcd.js';

/** The long-running process roles. */
export type RoleName = 'up' | 'agent' | 'server' | 'registrar';
export const ROLE_NAMES: readonly RoleName[] = ['up', 'agent', 'server', 'registrar'];

/**
 * Flags come in groups, one per part a role runs; a role takes a group's flags only when it runs
 * that part, so `maestro server --dns-addr` is a usage error instead of a silently ignored flag.
 * `lacks` says why a role without the part does not take them (completing "it …").
 */
const GROUPS = {
  process: { roles: ['up', 'agent', 'server', 'registrar'], lacks: '' },
  catalog: { roles: ['up', 'agent', 'server', 'registrar'], lacks: '' },
  docker: { roles: ['up', 'agent', 'registrar'], lacks: 'talks to no Docker daemon' },
  registrar: { roles: ['up', 'agent', 'registrar'], lacks: 'registers no containers' },
  agent: { roles: ['up', 'agent'], lacks: 'runs no scheduled containers' },
  // The zone is the cluster's: servers name things in it too (the web UI's `dig` lines).
  zone: { roles: ['up', 'agent', 'server'], lacks: 'names nothing in the DNS zone' },
  dns: { roles: ['up', 'agent'], lacks: 'serves no DNS' },
  proxy: { roles: ['up', 'agent'], lacks: 'runs no proxies' },
  api: { roles: ['up', 'server'], lacks: 'serves no API' },
  scheduler: { roles: ['up', 'server'], lacks: 'runs no scheduler' },
} as const satisfies Record<string, { roles: readonly RoleName[]; lacks: string }>;

export interface FlagSpec {
  name: string;
  type: 'string' | 'boolean';
  multiple?: boolean;
  /** The value's placeholder in `--help` (`HOST:PORT`); none for a boolean. */
  value?: string;
  /** One or more lines for `--help`, the default included. */
  help: string;
  /** The environment variable read when the flag is absent. */
  env?: string;
  group: keyof typeof GROUPS;
}

const s = (name: string, value: string, group: FlagSpec['group'], help: string, env?: string): FlagSpec =>
  ({ name, type: 'string', value, group, help, ...(env ? { env } : {}) });
const b = (name: string, group: FlagSpec['group'], help: string): FlagSpec => ({ name, type: 'boolean', group, help });

/** Every flag of every role, in the order `--help` lists them. */
export const FLAGS: readonly FlagSpec[] = [
  s('data-dir', 'DIR', 'process', `state and addresses.json (default ${DEFAULTS.dataDir})`, 'MAESTRO_DATA_DIR'),
  s('host', 'NAME', 'process', "this host's name (default: the hostname)", 'MAESTRO_HOST'),
  s('advertise', 'ADDR', 'registrar', 'address registered for published ports (default: first non-loopback IPv4)', 'MAESTRO_ADVERTISE'),
  { ...s('meta', 'k=v', 'agent', 'host metadata for placement constraints (repeatable)'), multiple: true },
  s('zone', 'ZONE', 'zone', `DNS zone (default ${DEFAULTS.zone})`),
  s('dns-addr', 'HOST:PORT', 'dns', `DNS server, UDP and TCP (default ${DEFAULTS.dnsAddr})`),
  s('dns-forward', 'A[,A]', 'dns', 'upstreams for names outside the zone (default: none, REFUSED)', 'MAESTRO_DNS_FORWARD'),
  s('dns-ttl', 'DURATION', 'dns', `record TTL, whole seconds (default ${DEFAULTS.dnsTtl}s)`),
  s('container-dns', 'MODE', 'dns', "DNS for containers: auto = the Docker bridge's gateway, port 53, forwarding\n" +
    "other names to --resolv-conf's resolvers; off; or ADDR[:PORT] (default auto;\na taken address is a warning)"),
  s('resolv-conf', 'FILE', 'dns', `the host's resolvers, for --container-dns (default ${DEFAULTS.resolvConf})`),
  s('http-addr', 'HOST:PORT', 'proxy', `L7 proxy (default ${DEFAULTS.httpAddr})`),
  s('proxy-bind', 'ADDR', 'proxy', `address of the L4 proxy listeners (default ${DEFAULTS.proxyBind})`),
  s('access-log', 'MODE', 'proxy', `proxied exchanges to log: off|errors|all (default ${DEFAULTS.accessLog}: failed ones)`, 'MAESTRO_ACCESS_LOG'),
  s('api-addr', 'HOST:PORT', 'api', `HTTP API (default ${DEFAULTS.apiAddr}); off loopback it needs --api-token`),
  s('api-token', 'TOKEN', 'api', 'bearer token clients must send to the API', 'MAESTRO_API_TOKEN'),
  s('agent-addr', 'HOST:PORT', 'agent', "the agent's log endpoint for servers (on etcd/Consul), or off\n" +
    '(default <advertise>:4681, another free port when taken)', 'MAESTRO_AGENT_ADDR'),
  s('etcd', 'URL[,URL]', 'catalog', 'etcd client URLs; absent: --consul, else the embedded catalog', 'MAESTRO_ETCD_ENDPOINTS'),
  s('etcd-prefix', 'PREFIX', 'catalog', `key prefix of this cluster in etcd (default ${DEFAULT_ETCD_PREFIX})`, 'MAESTRO_ETCD_PREFIX'),
  s('etcd-cacert', 'FILE', 'catalog', 'CA certificate of the etcd members (https:// endpoints)'),
  s('etcd-cert', 'FILE', 'catalog', 'client certificate for etcd, with --etcd-key'),
  s('etcd-key', 'FILE', 'catalog', "the client certificate's key"),
  s('etcd-user', 'NAME[:PW]', 'catalog', 'etcd user; the password after ":" or in MAESTRO_ETCD_PASSWORD', 'MAESTRO_ETCD_USER'),
  s('consul', 'URL', 'catalog', 'Consul agent; not together with --etcd', 'CONSUL_HTTP_ADDR'),
  s('docker-host', 'URL', 'docker', 'Docker daemon (default unix:///var/run/docker.sock)', 'DOCKER_HOST'),
  b('internal', 'registrar', 'register container IP + container port instead of advertise + host port'),
  s('resync', 'DURATION', 'registrar', `registrar anti-entropy period (default ${DEFAULTS.resyncMs / 1000}s)`),
  s('host-down-grace', 'DURATION', 'scheduler', `wait before replacing replicas of a down host (default ${DEFAULTS.hostDownGraceMs / 1000}s)`),
  s('log-level', 'LEVEL', 'process', `trace|debug|info|warn|error (default ${DEFAULTS.logLevel})`, 'MAESTRO_LOG_LEVEL'),
  s('log-format', 'FORMAT', 'process', 'pretty|json (default: pretty on a terminal, JSON lines otherwise)', 'MAESTRO_LOG_FORMAT'),
  { ...s('allow-host-path', 'DIR', 'agent', 'jobs may mount host paths under DIR (repeatable; default none; symlinks resolved)'), multiple: true },
  b('allow-privileged', 'agent', 'jobs may run privileged containers (default: refused)'),
  { ...s('allow-cap', 'CAP[,CAP]', 'agent', "capabilities jobs may add beyond Docker's defaults, or ALL (repeatable)"), multiple: true },
];

const BY_NAME = new Map(FLAGS.map((f) => [f.name, f]));

export function flagSpec(name: string): FlagSpec | undefined {
  return BY_NAME.get(name);
}

/** The roles that take a flag, and why the others do not. */
export function rolesOf(flag: FlagSpec): { roles: readonly RoleName[]; lacks: string } {
  return GROUPS[flag.group];
}

/** The flags `role` takes, in `--help` order. */
export function flagsOf(role: RoleName): FlagSpec[] {
  return FLAGS.filter((f) => (GROUPS[f.group].roles as readonly RoleName[]).includes(role));
}

/** `node:util` parseArgs options for `role`. */
export function parseOptionsOf(role: RoleName): Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> {
  return Object.fromEntries(flagsOf(role).map((f) => [f.name, { type: f.type, ...(f.multiple ? { multiple: true } : {}) }]));
}
