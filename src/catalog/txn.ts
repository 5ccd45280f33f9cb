/**
 * The rules every adapter's `kvTxn` enforces before sending anything (types.ts `kvTxn`), so a caller
 * gets the same `bad_request` from each: an empty key, too many operations for the adapter, or one
 * key written twice (etcd refuses duplicate writes in a txn; Consul would apply both in order — the
 * port takes the stricter rule so a caller never depends on either).
 */
import { CatalogError, type TxnOp } from './types.js';

/** An op's weight against `maxTxnOps`: a check with both `cas` and `session` is two compares. */
export function txnWeight(op: TxnOp): number {
  return op.verb === 'check' && op.cas !== undefined && op.session !== undefined ? 2 : 1;
}

export function validateTxn(ops: readonly TxnOp[], maxOps: number): void {
  let weight = 0;
  const written = new Set<string>();
  for (const op of ops) {
    if (typeof op.key !== 'string' || op.key === '') throw new CatalogError('bad_request', 'kvTxn: every operation needs a key');
    if (op.verb !== 'put' && op.verb !== 'delete' && op.verb !== 'check') {
      throw new CatalogError('bad_request', `kvTxn: unknown verb ${JSON.stringify((op as { verb: unknown }).verb)}`);
    }
    if (op.cas !== undefined && !(Number.isSafeInteger(op.cas) && op.cas >= 0)) {
      throw new CatalogError('bad_request', `kvTxn: cas of ${op.key} must be a non-negative integer`);
    }
    weight += txnWeight(op);
    if (op.verb === 'check') continue;
    if (written.has(op.key)) throw new CatalogError('bad_request', `kvTxn: ${op.key} is written twice in one transaction`);
    written.add(op.key);
  }
  if (weight > maxOps) throw new CatalogError('bad_request', `kvTxn: ${weight} operations, this catalog takes at most ${maxOps} per transaction`);
}
