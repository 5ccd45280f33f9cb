import type { Route } from './server.js';
import { ConsulError, Violation, allowQuery, checkFields } from './shape.js';
import type { FakeState, KVRecord } from './state.js';

/**
 * PUT /v1/txn (https://developer.hashicorp.com/consul/api-docs/txn), KV operations only: a JSON array
 * of `{"KV": {Verb, Key, Value (base64), Index, Session, Flags}}`, at most 64, applied in order and
 * atomically at ONE raft index. 200 `{Results, Errors: null}` when all succeed; 409
 * `{Results: null, Errors: [{OpIndex, What}]}` and nothing applied when one fails; 413 for more than
 * 64 operations (Consul's maxTxnOps). Verbs Maestro does not send (lock, unlock, get, get-tree,
 * delete-tree) and non-KV operations are violations: valid Consul, not modelled here.
 */

const MAX_OPS = 64;
const MAX_VALUE = 512 * 1024;
const KV_FIELDS = { Verb: 'string', Key: 'string', Value: 'string', Flags: 'int', Index: 'int', Session: 'string' } as const;
const VERBS = ['set', 'cas', 'check-index', 'check-session', 'check-not-exists', 'delete', 'delete-cas'];

type Op = { Verb: string; Key: string; Value?: string; Flags?: number; Index?: number; Session?: string };

function parseOps(body: Buffer): Op[] {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    throw new Violation('txn body must be JSON');
  }
  if (!Array.isArray(doc)) throw new Violation('txn body must be a JSON array of operations');
  if (doc.length > MAX_OPS) throw new ConsulError(413, `Transaction contains too many operations (${doc.length} > ${MAX_OPS})`);
  return doc.map((item, i) => {
    const outer = checkFields(item, { KV: 'object' }, `txn op ${i}`);
    if (!outer.KV) throw new Violation(`txn op ${i}: only KV operations are modelled`);
    const kv = checkFields(outer.KV, KV_FIELDS, `txn op ${i} KV`) as Op;
    if (!VERBS.includes(kv.Verb)) throw new Violation(`txn op ${i}: verb ${JSON.stringify(kv.Verb)} is not modelled`);
    if (typeof kv.Key !== 'string' || !kv.Key) throw new Violation(`txn op ${i}: Key is required`);
    if ((kv.Verb === 'cas' || kv.Verb === 'check-index' || kv.Verb === 'delete-cas') && kv.Index === undefined) {
      throw new Violation(`txn op ${i}: ${kv.Verb} needs Index`);
    }
    if (kv.Verb === 'check-session' && !kv.Session) throw new Violation(`txn op ${i}: check-session needs Session`);
    if (kv.Value !== undefined && Buffer.from(kv.Value, 'base64').length > MAX_VALUE) throw new ConsulError(413, 'Value too large');
    return kv;
  });
}

/** Runs the ops on a copy of the KV table; the first failure's message, or the resulting table. */
function run(state: FakeState, ops: Op[], index: number): { error: { OpIndex: number; What: string } } | { kv: Map<string, KVRecord> } {
  const kv = new Map(state.kv);
  for (const [i, op] of ops.entries()) {
    const cur = kv.get(op.Key);
    const fail = (What: string) => ({ error: { OpIndex: i, What } });
    switch (op.Verb) {
      case 'check-index':
        if (!cur) return fail(`key "${op.Key}" doesn't exist`);
        if (cur.ModifyIndex !== op.Index) return fail(`current modify index ${cur.ModifyIndex} != ${op.Index}`);
        break;
      case 'check-not-exists':
        if (cur) return fail(`key "${op.Key}" exists`);
        break;
      case 'check-session':
        if (!cur) return fail(`key "${op.Key}" doesn't exist`);
        if (cur.Session !== op.Session) return fail(`key "${op.Key}" is not locked by session "${op.Session}"`);
        break;
      case 'delete-cas':
        if (cur && cur.ModifyIndex !== op.Index) return fail(`failed to delete key "${op.Key}", index is stale`);
        kv.delete(op.Key);
        break;
      case 'delete':
        kv.delete(op.Key);
        break;
      default: {
        // set / cas: a held key keeps its session (Consul's kvsSetTxn without updateSession).
        if (op.Verb === 'cas' && (op.Index === 0 ? cur !== undefined : cur?.ModifyIndex !== op.Index)) {
          return fail(`failed to set key "${op.Key}", index is stale`);
        }
        const next: KVRecord = {
          Key: op.Key, Value: Buffer.from(op.Value ?? '', 'base64'), Flags: op.Flags ?? 0,
          CreateIndex: cur?.CreateIndex ?? index, ModifyIndex: index, LockIndex: cur?.LockIndex ?? 0,
        };
        if (cur?.Session) next.Session = cur.Session;
        kv.set(op.Key, next);
      }
    }
  }
  return { kv };
}

function txn(state: FakeState, body: Buffer) {
  const ops = parseOps(body);
  if (!ops.length) throw new Violation('txn needs at least one operation');
  const result = run(state, ops, state.index + 1);
  if ('error' in result) return { status: 409, json: { Results: null, Errors: [result.error] } };
  const writes = ops.some((op) => !op.Verb.startsWith('check-'));
  if (writes) {
    const index = state.bump('kvs');
    for (const key of state.kv.keys()) if (!result.kv.has(key)) state.tombstones.set(key, index);
    state.kv.clear();
    for (const [k, e] of result.kv) {
      state.kv.set(k, e);
      state.tombstones.delete(k);
    }
  }
  const Results = ops
    .filter((op) => op.Verb === 'set' || op.Verb === 'cas')
    .map((op) => {
      const e = state.kv.get(op.Key)!;
      return { KV: { LockIndex: e.LockIndex, Key: e.Key, Flags: e.Flags, Value: null, CreateIndex: e.CreateIndex, ModifyIndex: e.ModifyIndex } };
    });
  return { json: { Results, Errors: null } };
}

export const txnRoutes: Route[] = [
  {
    method: 'PUT',
    pattern: /^\/txn$/,
    handle: (req, _m, state) => {
      allowQuery(req.query, ['dc', 'ns'], 'txn');
      return txn(state, req.body);
    },
  },
];
