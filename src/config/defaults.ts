/** The defaults of the process roles, in one place (README.md, "CLI"; each role's `--help`). */
export const DEFAULTS = {
  dataDir: './.maestro',
  zone: 'cluster',
  dnsAddr: '127.0.0.1:8600',
  dnsTtl: 5,
  containerDns: 'auto',
  resolvConf: '/etc/resolv.conf',
  httpAddr: '127.0.0.1:8080',
  proxyBind: '0.0.0.0',
  apiAddr: '127.0.0.1:4680',
  resyncMs: 30_000,
  hostDownGraceMs: 10_000,
  hostTtlMs: 10_000,
  logLevel: 'info',
  accessLog: 'errors',
} as const;
