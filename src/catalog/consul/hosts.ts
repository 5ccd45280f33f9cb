import type { Logger } from 'pino';
import { CatalogError, type BlockingOptions, type HostRecord, type HostStatus, type Indexed } from '../types.js';
import type { KvStore } from './kv.js';

/** Where host records live: one session-bound key per host. */
export const HOSTS_PREFIX = 'maestro/hosts/';

/**
 * Hosts as session-bound KV keys: `maestro/hosts/<name>` holds the HostRecord JSON and is acquired
 * with the host's liveness session. When that session dies (TTL not renewed), Consul releases the key
 * (session behaviour `release`): the record stays and `alive` (= the key has a Session) turns false.
 */
export class Hosts {
  constructor(
    private readonly kv: KvStore,
    private readonly log: Logger,
  ) {}

  /**
   * Acquires the host key with `sessionId`. If an older session of the same host still holds it (the
   * agent restarted before its previous session expired), that session's hold is released first:
   * the host name is the identity, the newest registration wins — as in the embedded store.
   */
  async register(host: HostRecord, sessionId: string): Promise<void> {
    const key = hostKey(host.name);
    const value = JSON.stringify(host);
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await this.kv.put(key, value, { acquire: sessionId })) return;
      const current = await this.kv.get(key);
      const holder = current.value?.session;
      if (holder && holder !== sessionId) {
        this.log.info({ host: host.name, previous: holder }, 'consul: taking over host key from an older session');
        await this.kv.put(key, current.value?.value ?? value, { release: holder });
      }
    }
    throw new CatalogError('unavailable', `host ${host.name}: could not acquire ${key} (contended)`);
  }

  async list(opts?: BlockingOptions): Promise<Indexed<HostStatus[]>> {
    const r = await this.kv.list(HOSTS_PREFIX, opts);
    const hosts: HostStatus[] = [];
    for (const e of r.value) {
      try {
        hosts.push({ ...(JSON.parse(e.value) as HostRecord), alive: e.session !== undefined });
      } catch (err) {
        this.log.warn({ err, key: e.key }, 'consul: unreadable host record skipped');
      }
    }
    hosts.sort((a, b) => a.name.localeCompare(b.name));
    return { index: r.index, value: hosts };
  }

  async remove(name: string): Promise<void> {
    await this.kv.delete(hostKey(name));
  }
}

function hostKey(name: string): string {
  if (!name || name.includes('/')) throw new CatalogError('bad_request', `bad host name ${JSON.stringify(name)}`);
  return HOSTS_PREFIX + name;
}
