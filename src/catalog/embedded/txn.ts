/**
 * `kvTxn` on the embedded store, pure: every condition is judged against the state before any write,
 * and the writes become the changes of ONE log record (core.ts `commit`) — so the transaction is
 * applied at one index and, like every record, is on disk whole or not at all after a crash.
 */
import type { KVEntry, TxnOp } from '../types.js';
import type { CatalogState, Change } from './state.js';

/** Generous: the limit only bounds one record's size (the journal frames a record as a whole). */
export const MAX_TXN_OPS = 1_024;

/** The changes the transaction makes at `index`, or undefined when one of its conditions fails. */
export function txnChanges(state: CatalogState, ops: readonly TxnOp[], index: number): Change[] | undefined {
  for (const op of ops) {
    const current = state.kv.get(op.key);
    if (op.cas !== undefined && (current?.modifyIndex ?? 0) !== op.cas) return undefined;
    if (op.verb === 'check' && op.session !== undefined && current?.session !== op.session) return undefined;
  }
  const changes: Change[] = [];
  for (const op of ops) {
    const current = state.kv.get(op.key);
    if (op.verb === 'delete') {
      if (current) changes.push({ t: 'kv-del', key: op.key });
    } else if (op.verb === 'put') {
      const entry: KVEntry = { key: op.key, value: op.value, createIndex: current?.createIndex ?? index, modifyIndex: index };
      // A held key keeps its holder, as kvPut without acquire/release.
      if (current?.session !== undefined) entry.session = current.session;
      changes.push({ t: 'kv', entry });
    }
  }
  return changes;
}
