import { CONTAINER_POLICY_HELP } from '../config/container-policy.js';
import { DEFAULT_ETCD_PREFIX, DEFAULTS } from '../config/index.js';

/** The flags shared by the process roles, as `--help` shows them; kept next to config's DEFAULTS. */
export const COMMON_FLAGS = `Flags:
  --data-dir DIR          state and addresses.json (default ${DEFAULTS.dataDir})
  --host NAME             this host's name (default: the hostname)
  --advertise ADDR        address registered for published ports (default: first non-loopback IPv4)
  --meta k=v              host metadata for constraints (repeatable)
  --zone ZONE             DNS zone (default ${DEFAULTS.zone})
  --dns-addr HOST:PORT    DNS server, UDP and TCP (default ${DEFAULTS.dnsAddr})
  --dns-forward A[,A]     upstreams for names outside the zone (default: REFUSED)
  --dns-ttl SECONDS       record TTL (default ${DEFAULTS.dnsTtl})
  --container-dns MODE    DNS for containers (up, agent): auto = the Docker bridge's gateway, port 53,
                          forwarding other names to --resolv-conf's resolvers; off; or ADDR[:PORT]
                          (default ${DEFAULTS.containerDns}; a taken address is a warning)
  --resolv-conf FILE      the host's resolvers, for --container-dns (default ${DEFAULTS.resolvConf})
  --http-addr HOST:PORT   L7 proxy (default ${DEFAULTS.httpAddr})
  --proxy-bind ADDR       address of the L4 proxy listeners (default ${DEFAULTS.proxyBind})
  --api-addr HOST:PORT    HTTP API (default ${DEFAULTS.apiAddr}); off loopback it needs --api-token
  --api-token TOKEN       bearer token for the API (or MAESTRO_API_TOKEN)
  --agent-addr HOST:PORT  the agent's log endpoint for servers (agent; up on etcd/Consul), or off
                          (default <advertise>:4681, another free port when taken; or MAESTRO_AGENT_ADDR)
  --etcd URL[,URL]        etcd client URLs (or MAESTRO_ETCD_ENDPOINTS); absent: --consul, else embedded
  --etcd-prefix PREFIX    key prefix of this cluster in etcd (default ${DEFAULT_ETCD_PREFIX}; or MAESTRO_ETCD_PREFIX)
  --etcd-cacert FILE      CA certificate of the etcd members (https:// endpoints)
  --etcd-cert FILE        client certificate for etcd, with --etcd-key FILE
  --etcd-user NAME[:PW]   etcd user; the password after ':' or in MAESTRO_ETCD_PASSWORD
  --consul URL            Consul agent (or CONSUL_HTTP_ADDR); not together with --etcd
  --docker-host URL       Docker daemon (or DOCKER_HOST; default unix:///var/run/docker.sock)
  --internal              register container IP + container port instead of advertise + host port
  --resync DURATION       registrar anti-entropy period (default ${DEFAULTS.resyncMs / 1000}s)
  --host-down-grace DUR   wait before replacing replicas of a down host (default ${DEFAULTS.hostDownGraceMs / 1000}s)
  --log-level LEVEL       trace|debug|info|warn|error (default ${DEFAULTS.logLevel}; or MAESTRO_LOG_LEVEL)
  --log-pretty            human-readable logs instead of JSON lines
  --access-log MODE       proxied exchanges to log (up, agent): off|errors|all (default ${DEFAULTS.accessLog};
                          errors = failed ones; or MAESTRO_ACCESS_LOG)
${CONTAINER_POLICY_HELP}
Port 0 picks a free port; the chosen addresses are logged and written to <data-dir>/addresses.json.
MAESTRO_NATIVE=0 serves DNS over UDP and the L4 relay with Node's sockets instead of the native
addons (native/README.md); the start-up line says which serve.`;

export function roleHelp(usage: string, description: string, example: string): string {
  return `Usage: ${usage}\n\n${description}\n\n${COMMON_FLAGS}\n\nExample:\n  ${example}\n`;
}
