import {
  CatalogError,
  type BlockingOptions,
  type DeleteOptions,
  type Indexed,
  type KVEntry,
  type PutOptions,
  type SessionOptions,
} from '../types.js';
import { blockingQuery, sanitizeIndex } from './blocking.js';
import type { ConsulHttp } from './client.js';
import { sessionTtl, toKVEntry, type KVItem } from './codec.js';

/**
 * KV (https://developer.hashicorp.com/consul/api-docs/kv) and sessions
 * (https://developer.hashicorp.com/consul/api-docs/session) as thin calls: the port's semantics are
 * Consul's own here (cas on ModifyIndex, acquire/release, `true`/`false` answers).
 */
export class KvStore {
  constructor(private readonly http: ConsulHttp) {}

  /** GET /v1/kv/:key: 404 (with an X-Consul-Index) means absent; the package decodes base64 values. */
  async get(key: string, opts?: BlockingOptions): Promise<Indexed<KVEntry | undefined>> {
    const q = blockingQuery(opts);
    const r = await this.http.call<KVItem | undefined>('kv.get', (rc) => this.http.api.kv.get({ key, ...q.params, ...rc }), {
      signal: q.signal,
      timeoutMs: q.timeoutMs,
    });
    return { index: sanitizeIndex(r.index), value: r.body ? toKVEntry(r.body) : undefined };
  }

  /** GET /v1/kv/:prefix?recurse: Consul returns the entries sorted by key. */
  async list(prefix: string, opts?: BlockingOptions): Promise<Indexed<KVEntry[]>> {
    const q = blockingQuery(opts);
    const r = await this.http.call<KVItem[] | undefined>(
      'kv.list',
      (rc) => this.http.api.kv.get({ key: prefix, recurse: true, ...q.params, ...rc }),
      { signal: q.signal, timeoutMs: q.timeoutMs },
    );
    const items = (r.body ?? []).map(toKVEntry).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { index: sanitizeIndex(r.index), value: items };
  }

  /** PUT /v1/kv/:key?cas=&acquire=&release= with the raw value as body; Consul answers `true`/`false`. */
  async put(key: string, value: string, opts: PutOptions = {}): Promise<boolean> {
    if (!key) throw new CatalogError('bad_request', 'empty KV key');
    const extra: { cas?: number; acquire?: string; release?: string } = {};
    if (opts.cas !== undefined) extra.cas = opts.cas;
    if (opts.acquire !== undefined) extra.acquire = opts.acquire;
    if (opts.release !== undefined) extra.release = opts.release;
    const r = await this.http.call<boolean>('kv.set', (rc) => this.http.api.kv.set({ key, value, ...extra, ...rc }));
    return r.body === true;
  }

  /** DELETE /v1/kv/:key?cas=|?recurse; Consul answers `true`/`false`. */
  async delete(key: string, opts: DeleteOptions = {}): Promise<boolean> {
    const extra: { cas?: number; recurse?: boolean } = {};
    if (opts.cas !== undefined) extra.cas = opts.cas;
    if (opts.recurse) extra.recurse = true;
    const r = await this.http.call<boolean>('kv.del', (rc) => this.http.api.kv.del({ key, ...extra, ...rc }));
    return r.body === true;
  }

  /**
   * PUT /v1/session/create. `release` keeps a dead host's record (its key just loses its Session:
   * the host shows as down); LockDelay 0 lets a standby take a lock the moment its holder dies.
   */
  async createSession(opts: SessionOptions): Promise<string> {
    if (!(opts.ttlMs > 0)) throw new CatalogError('bad_request', 'session TTL must be positive');
    const r = await this.http.call<{ ID: string }>('session.create', (rc) =>
      this.http.api.session.create({ name: opts.name, ttl: sessionTtl(opts.ttlMs), behavior: 'release', lockdelay: '0s', ...rc }),
    );
    if (!r.body?.ID) throw new CatalogError('unavailable', 'consul session.create: answer without an ID');
    return r.body.ID;
  }

  /** PUT /v1/session/renew/:uuid: 404 once the session was invalidated. */
  async renewSession(id: string): Promise<boolean> {
    try {
      await this.http.call('session.renew', (rc) => this.http.api.session.renew({ id, ...rc }));
      return true;
    } catch (err) {
      if (err instanceof CatalogError && (err.code === 'not_found' || err.code === 'session_invalid')) return false;
      throw err;
    }
  }

  /** PUT /v1/session/destroy/:uuid: destroying an unknown session is a no-op in Consul too. */
  async destroySession(id: string): Promise<void> {
    await this.http.call('session.destroy', (rc) => this.http.api.session.destroy({ id, ...rc }));
  }
}
