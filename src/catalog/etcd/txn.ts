/**
 * `kvTxn` on etcd: the whole batch is ONE etcd txn, so it is all or nothing at one revision. Every
 * condition is a compare of the outer txn (`cas` → `mod_revision`, `cas: 0` → `create_revision == 0`,
 * a `check` with `session` → the key's lease is that session's lease, etcd's election fence); every
 * write is in its success branch. A put is a nested txn choosing between a plain put (the key carries
 * no lease) and `ignore_lease` (it is held: keep the holder, as `kvPut` does) — the nested compare
 * never fails the batch. etcd's `--max-txn-ops` (default 128) bounds the longest of the compare and
 * write lists, and a nested txn gets what the outer one leaves: 127 outer entries leave 1 for each
 * nested put's single entry, hence `MAX_TXN_OPS` = 127.
 */
import type { ICompare, IRequestOp } from 'etcd3';
import { validateTxn } from '../txn.js';
import type { TxnOp } from '../types.js';
import type { EtcdContext } from './context.js';
import { leaseOfSession } from './keys.js';

export const MAX_TXN_OPS = 127;

export async function etcdTxn(ctx: EtcdContext, ops: TxnOp[]): Promise<boolean> {
  validateTxn(ops, MAX_TXN_OPS);
  if (ops.length === 0) return true;
  const compare: ICompare[] = [];
  const success: IRequestOp[] = [];
  for (const op of ops) {
    const key = Buffer.from(ctx.keys.kv(op.key));
    if (op.cas === 0) compare.push({ key, target: 'Create', result: 'Equal', create_revision: 0 });
    else if (op.cas !== undefined) compare.push({ key, target: 'Mod', result: 'Equal', mod_revision: op.cas });
    if (op.verb === 'check') {
      if (op.session === undefined) continue;
      const lease = leaseOfSession(op.session);
      // Not a lease id: no key can be held by it, so the condition fails (a fence, not an error).
      if (!lease) return false;
      compare.push({ key, target: 'Lease', result: 'Equal', lease });
    } else if (op.verb === 'delete') {
      success.push({ request_delete_range: { key } });
    } else if (op.cas === 0) {
      // The compare above makes the key absent when this runs, so no lock can hold it: a plain put
      // is the same write, and spares etcd a nested txn per key (placements are all such puts).
      success.push({ request_put: { key, value: Buffer.from(op.value) } });
    } else {
      const value = Buffer.from(op.value);
      success.push({
        request_txn: {
          compare: [{ key, target: 'Lease', result: 'Equal', lease: 0 }],
          success: [{ request_put: { key, value } }],
          failure: [{ request_put: { key, value, ignore_lease: true } }],
        },
      });
    }
  }
  const res = await ctx.call('txn', () => ctx.client.kv.txn({ compare, success, failure: [] }));
  return res.succeeded;
}
