import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EtcdConfig } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { createConsulCatalog } from './consul/index.js';
import { createEmbeddedCatalog } from './embedded/index.js';
import { checkEtcdReachable, createEtcdCatalog, type EtcdCatalogOptions } from './etcd/index.js';
import type { Catalog } from './types.js';

export interface OpenCatalogOptions {
  /** A Consul agent URL; absent (and no etcd) selects the embedded store. */
  consul?: string;
  consulToken?: string;
  /** An etcd cluster; never given together with `consul` (the config refuses that). */
  etcd?: EtcdConfig;
  /** The embedded store persists under `<dataDir>/catalog`. */
  dataDir: string;
  host: string;
  logger: Logger;
}

/** Chooses the catalog adapter: Consul or etcd when given, the embedded store otherwise. */
export function openCatalog(opts: OpenCatalogOptions): Catalog {
  if (opts.consul && opts.etcd) throw new Error('catalog: both Consul and etcd given; choose one');
  if (opts.consul) {
    return createConsulCatalog({ url: opts.consul, token: opts.consulToken, hostName: opts.host, logger: opts.logger });
  }
  if (opts.etcd) return createEtcdCatalog(etcdOptions(opts.etcd, opts.host, opts.logger));
  return createEmbeddedCatalog({ dataDir: join(opts.dataDir, 'catalog'), logger: opts.logger.child({ component: 'catalog' }) });
}

/**
 * Checks, within `timeoutMs`, that a networked catalog answers, and throws an error that says where
 * and what to check when it does not — so a role started with wrong endpoints, certificates or
 * credentials stops with a clear message instead of hanging in a retry loop. Only etcd is checked:
 * the Consul adapter already logs each failed call against its agent.
 */
export async function checkCatalogReachable(opts: OpenCatalogOptions, timeoutMs = 5_000): Promise<void> {
  if (!opts.etcd) return;
  try {
    await checkEtcdReachable(etcdOptions(opts.etcd, opts.host, opts.logger), timeoutMs);
  } catch (err) {
    const why = (err as Error).message.replace(/^catalog: /, '');
    throw new Error(
      `etcd at ${opts.etcd.endpoints.join(',')} did not answer: ${why}\n` +
        '  Check --etcd (or MAESTRO_ETCD_ENDPOINTS), that a quorum of members runs, and the TLS\n' +
        '  (--etcd-cacert/--etcd-cert/--etcd-key) and auth (--etcd-user, MAESTRO_ETCD_PASSWORD) settings.',
      { cause: err },
    );
  }
}

function etcdOptions(etcd: EtcdConfig, host: string, logger: Logger): EtcdCatalogOptions {
  const pem = (flag: string, path: string | undefined): Buffer | undefined => {
    if (!path) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const tls = { ca: pem('--etcd-cacert', etcd.cacert), cert: pem('--etcd-cert', etcd.cert), key: pem('--etcd-key', etcd.key) };
  return {
    endpoints: etcd.endpoints,
    prefix: etcd.prefix,
    ...(tls.ca || tls.cert ? { tls } : {}),
    ...(etcd.user !== undefined ? { auth: { user: etcd.user, password: etcd.password ?? '' } } : {}),
    hostName: host,
    logger,
  };
}
