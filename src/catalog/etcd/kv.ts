/**
 * The port's KV on etcd, under `<prefix>kv/`. `modifyIndex`/`createIndex` are the key's
 * `mod_revision`/`create_revision`, so compare-and-set is a txn comparing `mod_revision` (cas 0:
 * `create_revision == 0`, the key is absent).
 *
 * Locks are keys bound to the holder's lease (`session` = the lease, in hex): acquiring puts the
 * key with the lease only if it carries no lease or this one (a txn comparing the key's `lease`);
 * releasing puts it without a lease; the holder's lease ending deletes the key (etcd removes keys of
 * an expired lease — Consul would keep the value without a holder; both read as "not held").
 * Concurrent acquirers are ordered by etcd's txn serialisation: the first to commit creates the
 * key (lowest create_revision) and the others' compares fail — etcd's lock recipe with a try-lock,
 * as concurrency.Mutex.TryLock does it, so no waiter queue is left behind.
 * A write without `acquire`/`release` keeps an existing holder (Consul's rule): `ignore_lease`.
 * Every write is one round trip: the second case of each is a nested txn (etcd ≥ 3.3).
 */
import type { ICompare, IKeyValue, IRequestOp, ITxnResponse } from 'etcd3';
import { CatalogError, type BlockingOptions, type DeleteOptions, type Indexed, type KVEntry, type PutOptions } from '../types.js';
import { blockingRead } from './blocking.js';
import type { EtcdContext } from './context.js';
import { leaseOfSession, prefixEnd, sessionOfLease } from './keys.js';
import { ListCache } from './list-cache.js';

export class Kv {
  private readonly lists: ListCache;

  constructor(private readonly ctx: EtcdContext) {
    this.lists = new ListCache(ctx, (kv) => this.entry(kv));
  }

  get(key: string, opts?: BlockingOptions): Promise<Indexed<KVEntry | undefined>> {
    const k = Buffer.from(this.ctx.keys.kv(key));
    return blockingRead(this.ctx, opts, { key: k }, async () => {
      const res = await this.ctx.call('get', () => this.ctx.client.kv.range({ key: k }));
      return { index: Number(res.header.revision), value: res.kvs[0] ? this.entry(res.kvs[0]) : undefined };
    });
  }

  list(prefix: string, opts?: BlockingOptions): Promise<Indexed<KVEntry[]>> {
    const key = Buffer.from(this.ctx.keys.kv(prefix));
    const end = prefixEnd(key);
    return blockingRead(this.ctx, opts, { key, end }, () => this.lists.list(key, end));
  }

  /** A count-only range: etcd answers the revision and a number, never the values. */
  async index(prefix: string, opts?: BlockingOptions): Promise<number> {
    const key = Buffer.from(this.ctx.keys.kv(prefix));
    const end = prefixEnd(key);
    const res = await blockingRead(this.ctx, opts, { key, end }, async () => {
      const r = await this.ctx.call('index', () => this.ctx.client.kv.range({ key, range_end: end, count_only: true }));
      return { index: Number(r.header.revision), value: undefined };
    });
    return res.index;
  }

  async put(key: string, value: string, opts: PutOptions = {}): Promise<boolean> {
    const k = Buffer.from(this.ctx.keys.kv(key));
    const v = Buffer.from(value);
    const cas = casCompare(k, opts.cas);
    const holder = opts.acquire ?? opts.release;
    if (holder !== undefined) {
      const lease = leaseOfSession(holder);
      if (!lease) throw new CatalogError('session_invalid', `"${holder}" is not an etcd session (lease id)`);
      const held: ICompare = { key: k, target: 'Lease', result: 'Equal', lease };
      if (opts.release !== undefined) {
        return this.txn('release', [held, ...cas], [{ request_put: { key: k, value: v } }]);
      }
      const bound: IRequestOp = { request_put: { key: k, value: v, lease } };
      const unheld: ICompare = { key: k, target: 'Lease', result: 'Equal', lease: 0 };
      return this.txn('acquire', [held, ...cas], [bound], { compare: [unheld, ...cas], success: [bound] });
    }
    const unheld: ICompare = { key: k, target: 'Lease', result: 'Equal', lease: 0 };
    return this.txn('put', [unheld, ...cas], [{ request_put: { key: k, value: v } }], {
      compare: cas,
      success: [{ request_put: { key: k, value: v, ignore_lease: true } }],
    });
  }

  async delete(key: string, opts: DeleteOptions = {}): Promise<boolean> {
    const k = Buffer.from(this.ctx.keys.kv(key));
    if (opts.recurse) {
      await this.ctx.call('delete', () => this.ctx.client.kv.deleteRange({ key: k, range_end: prefixEnd(k) }));
      return true;
    }
    return this.txn('delete', casCompare(k, opts.cas), [{ request_delete_range: { key: k } }]);
  }

  /** One txn; when its compares fail, the optional `otherwise` txn runs nested in its failure branch. */
  private async txn(
    what: string,
    compare: ICompare[],
    success: IRequestOp[],
    otherwise?: { compare: ICompare[]; success: IRequestOp[] },
  ): Promise<boolean> {
    const failure: IRequestOp[] = otherwise ? [{ request_txn: { ...otherwise, failure: [] } }] : [];
    const res: ITxnResponse = await this.ctx.call(what, () => this.ctx.client.kv.txn({ compare, success, failure }));
    if (res.succeeded) return true;
    return otherwise ? !!res.responses[0]?.response_txn?.succeeded : false;
  }

  private entry(kv: IKeyValue): KVEntry {
    return kvEntryOf(this.ctx, kv);
  }
}

/** An etcd key-value under `kv/` as the port's entry (revisions as indexes, a lease as the lock holder). */
export function kvEntryOf(ctx: EtcdContext, kv: IKeyValue): KVEntry {
  const entry: KVEntry = {
    key: ctx.keys.portKey(kv.key.toString()),
    value: kv.value.toString(),
    createIndex: Number(kv.create_revision),
    modifyIndex: Number(kv.mod_revision),
  };
  if (kv.lease && kv.lease !== '0') entry.session = sessionOfLease(kv.lease);
  return entry;
}

function casCompare(key: Buffer, cas: number | undefined): ICompare[] {
  if (cas === undefined) return [];
  if (cas === 0) return [{ key, target: 'Create', result: 'Equal', create_revision: 0 }];
  return [{ key, target: 'Mod', result: 'Equal', mod_revision: cas }];
}
