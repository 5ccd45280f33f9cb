/**
 * `kvTxn` on Consul's transaction endpoint (PUT /v1/txn,
 * https://developer.hashicorp.com/consul/api-docs/txn): one request, applied atomically by the
 * Consul leader, answered 200 when every operation succeeded and 409 (rolled back) when one failed.
 *
 * Port operation → Consul KV verbs: put → `set` (keeps a lock holder, like PUT /v1/kv) or `cas`
 * (Index 0: only if absent); delete → `delete`, with `cas` preceded by `check-index` (Consul's
 * `delete-cas` counts a missing key as deleted, the port does not) or replaced by `check-not-exists`
 * for `cas: 0`; check → `check-index` / `check-not-exists` and `check-session`. Consul takes 64
 * operations per transaction and a port operation is at most two, hence `MAX_TXN_OPS` = 32.
 */
import { CatalogError, type TxnOp } from '../types.js';
import { validateTxn } from '../txn.js';
import type { ConsulHttp } from './client.js';

export const MAX_TXN_OPS = 32;

type KvOp = { Verb: string; Key: string; Value?: string; Index?: number; Session?: string };

export function consulTxnOps(ops: readonly TxnOp[]): KvOp[] {
  const out: KvOp[] = [];
  const condition = (key: string, cas: number | undefined) => {
    if (cas === 0) out.push({ Verb: 'check-not-exists', Key: key });
    else if (cas !== undefined) out.push({ Verb: 'check-index', Key: key, Index: cas });
  };
  for (const op of ops) {
    if (op.verb === 'put') {
      const Value = Buffer.from(op.value).toString('base64');
      out.push(op.cas === undefined ? { Verb: 'set', Key: op.key, Value } : { Verb: 'cas', Key: op.key, Value, Index: op.cas });
    } else if (op.verb === 'delete') {
      condition(op.key, op.cas);
      // Absent by condition: nothing to delete (and Consul would count one more operation).
      if (op.cas !== 0) out.push({ Verb: 'delete', Key: op.key });
    } else {
      condition(op.key, op.cas);
      if (op.session !== undefined) out.push({ Verb: 'check-session', Key: op.key, Session: op.session });
    }
  }
  return out;
}

export async function consulTxn(http: ConsulHttp, ops: TxnOp[]): Promise<boolean> {
  validateTxn(ops, MAX_TXN_OPS);
  const kvOps = consulTxnOps(ops);
  if (kvOps.length === 0) return true;
  try {
    await http.call('txn', (rc) => http.api.transaction.create(kvOps.map((KV) => ({ KV })), { ...rc }));
    return true;
  } catch (err) {
    // 409: a condition failed and Consul rolled the transaction back.
    if (err instanceof CatalogError && (err.cause as { status?: number } | undefined)?.status === 409) return false;
    throw err;
  }
}
