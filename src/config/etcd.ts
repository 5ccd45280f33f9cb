import { ConfigError } from './errors.js';

/** How to reach the etcd cluster that holds the catalog (`--etcd` and its companions). */
export interface EtcdConfig {
  /** Client URLs, all http:// or all https://. */
  endpoints: string[];
  /** Key prefix of this cluster, ending in `/` (default `/maestro/`). */
  prefix: string;
  /** Paths of PEM files: the CA that signed the members' certificates, a client certificate and key. */
  cacert?: string;
  cert?: string;
  key?: string;
  user?: string;
  password?: string;
}

export const DEFAULT_ETCD_PREFIX = '/maestro/';

export interface EtcdFlags {
  etcd?: string;
  prefix?: string;
  cacert?: string;
  cert?: string;
  key?: string;
  user?: string;
}

/**
 * Builds the etcd settings from the `--etcd*` flags and the environment, as etcdctl users expect:
 * endpoints comma-separated (a bare `host:port` means http://); `--etcd-user NAME:PASSWORD` like
 * etcdctl's `--user`, or `--etcd-user NAME` with the password in MAESTRO_ETCD_PASSWORD (which keeps
 * it out of `ps`). Returns undefined when no endpoints are given; companions without them are an error.
 */
export function parseEtcd(flags: EtcdFlags, env: Record<string, string | undefined>, endpointsText: string | undefined): EtcdConfig | undefined {
  const companions = (['prefix', 'cacert', 'cert', 'key', 'user'] as const).filter((k) => flags[k] !== undefined);
  if (endpointsText === undefined) {
    if (companions.length) throw new ConfigError(`--etcd-${companions[0]} needs --etcd URL[,URL…] (or MAESTRO_ETCD_ENDPOINTS)`);
    return undefined;
  }
  const endpoints = endpointsText.split(',').map((e) => e.trim()).filter(Boolean).map(parseEndpoint);
  if (!endpoints.length) throw new ConfigError(`--etcd: expected URL[,URL…], got "${endpointsText}"`);
  const secure = endpoints.map((e) => e.startsWith('https:'));
  if (secure.some((s) => s !== secure[0])) throw new ConfigError('--etcd: mix of http:// and https:// endpoints; use one scheme for all');
  if ((flags.cacert || flags.cert || flags.key) && !secure[0]) {
    throw new ConfigError('--etcd-cacert/--etcd-cert/--etcd-key need https:// endpoints');
  }
  if (!!flags.cert !== !!flags.key) throw new ConfigError('--etcd-cert and --etcd-key go together (a client certificate and its key)');

  let prefix = flags.prefix ?? env.MAESTRO_ETCD_PREFIX ?? DEFAULT_ETCD_PREFIX;
  // eslint-disable-next-line no-control-regex
  if (!prefix || /[\u0000-\u001f\u007f\s]/.test(prefix)) throw new ConfigError(`--etcd-prefix: "${prefix}" is not a usable key prefix`);
  if (!prefix.endsWith('/')) prefix += '/';

  const config: EtcdConfig = { endpoints, prefix };
  if (flags.cacert) config.cacert = flags.cacert;
  if (flags.cert) config.cert = flags.cert;
  if (flags.key) config.key = flags.key;
  const userText = flags.user ?? env.MAESTRO_ETCD_USER;
  if (userText) {
    const colon = userText.indexOf(':');
    const user = colon < 0 ? userText : userText.slice(0, colon);
    const password = colon < 0 ? env.MAESTRO_ETCD_PASSWORD : userText.slice(colon + 1);
    if (!user) throw new ConfigError('--etcd-user: expected NAME or NAME:PASSWORD');
    if (password === undefined) throw new ConfigError(`--etcd-user ${user}: no password (give NAME:PASSWORD, or set MAESTRO_ETCD_PASSWORD)`);
    config.user = user;
    config.password = password;
  }
  return config;
}

function parseEndpoint(text: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ConfigError(`--etcd: "${text}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`--etcd: "${text}" must be http:// or https://`);
  if (!url.hostname || (url.pathname !== '/' && url.pathname !== '') || url.search || url.username) {
    throw new ConfigError(`--etcd: "${text}" should be scheme://host:port only`);
  }
  return `${url.protocol}//${url.host}`;
}
