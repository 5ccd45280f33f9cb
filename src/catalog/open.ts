import { join } from 'node:path';
import type { Logger } from '../log/index.js';
import { createConsulCatalog } from './consul/index.js';
import { createEmbeddedCatalog } from './embedded/index.js';
import type { Catalog } from './types.js';

export interface OpenCatalogOptions {
  /** A Consul agent URL; absent selects the embedded store. */
  consul?: string;
  consulToken?: string;
  /** The embedded store persists under `<dataDir>/catalog`. */
  dataDir: string;
  host: string;
  logger: Logger;
}

/** Chooses the catalog adapter: Consul when a URL is given, the embedded store otherwise. */
export function openCatalog(opts: OpenCatalogOptions): Catalog {
  if (opts.consul) {
    return createConsulCatalog({ url: opts.consul, token: opts.consulToken, hostName: opts.host, logger: opts.logger });
  }
  return createEmbeddedCatalog({ dataDir: join(opts.dataDir, 'catalog') });
}
