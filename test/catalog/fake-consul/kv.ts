import type { Route } from './server.js';
import { ConsulError, Violation, allowQuery, flag, uint } from './shape.js';
import type { FakeState, KVRecord } from './state.js';

/**
 * GET/PUT/DELETE /v1/kv/:key (https://developer.hashicorp.com/consul/api-docs/kv). Reads are blocking
 * queries answering a JSON array of entries with base64 `Value`s, or 404 (with X-Consul-Index) when
 * nothing matches; writes answer the JSON literals `true`/`false`.
 */

const MAX_VALUE = 512 * 1024;

function entryJson(e: KVRecord) {
  return {
    LockIndex: e.LockIndex, Key: e.Key, Flags: e.Flags, Value: e.Value.length ? e.Value.toString('base64') : null,
    ...(e.Session ? { Session: e.Session } : {}), CreateIndex: e.CreateIndex, ModifyIndex: e.ModifyIndex,
  };
}

function read(state: FakeState, key: string, recurse: boolean) {
  if (!recurse) {
    const e = state.kv.get(key);
    if (e) return { index: e.ModifyIndex, json: [entryJson(e)] };
    return { status: 404, index: state.tombstones.get(key) ?? state.tables.kvs };
  }
  const matched = [...state.kv.values()].filter((e) => e.Key.startsWith(key)).sort((a, b) => (a.Key < b.Key ? -1 : a.Key > b.Key ? 1 : 0));
  let index = 0;
  for (const e of matched) index = Math.max(index, e.ModifyIndex);
  for (const [k, i] of state.tombstones) if (k.startsWith(key)) index = Math.max(index, i);
  if (!index) index = state.tables.kvs;
  return matched.length ? { index, json: matched.map(entryJson) } : { status: 404, index };
}

function put(state: FakeState, key: string, value: Buffer, q: URLSearchParams): boolean {
  if (!key) throw new Violation('PUT /v1/kv/ needs a key');
  if (value.length > MAX_VALUE) throw new ConsulError(413, 'Request body too large, max size: 524288 bytes');
  const cas = uint(q, 'cas');
  const flags = uint(q, 'flags') ?? 0;
  const acquire = q.get('acquire');
  const release = q.get('release');
  if (acquire !== null && release !== null) throw new Violation('acquire and release are exclusive');
  const cur = state.kv.get(key);
  if (cas !== undefined && (cas === 0 ? cur !== undefined : cur?.ModifyIndex !== cas)) return false;
  let session = cur?.Session;
  let lockIndex = cur?.LockIndex ?? 0;
  if (acquire !== null) {
    if (!state.sessions.has(acquire)) throw new ConsulError(500, `invalid session "${acquire}"`);
    if ((state.lockDelay.get(key) ?? 0) > Date.now()) return false;
    if (session !== undefined && session !== acquire) return false;
    if (session !== acquire) lockIndex++;
    session = acquire;
  } else if (release !== null) {
    if (session !== release) return false;
    session = undefined;
  }
  const index = state.bump('kvs');
  const next: KVRecord = { Key: key, Value: value, Flags: flags, CreateIndex: cur?.CreateIndex ?? index, ModifyIndex: index, LockIndex: lockIndex };
  if (session !== undefined) next.Session = session;
  state.kv.set(key, next);
  state.tombstones.delete(key);
  return true;
}

function del(state: FakeState, key: string, q: URLSearchParams): boolean {
  const recurse = flag(q, 'recurse');
  const cas = uint(q, 'cas');
  if (recurse) {
    if (cas !== undefined) throw new Violation('cas cannot be combined with recurse');
    for (const k of [...state.kv.keys()]) if (k.startsWith(key)) state.deleteKey(k);
    return true;
  }
  const cur = state.kv.get(key);
  // Consul's kvsDeleteCASTxn: a missing key counts as deleted.
  if (cas !== undefined && cur && cur.ModifyIndex !== cas) return false;
  state.deleteKey(key);
  return true;
}

export const kvRoutes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/kv\/(.*)$/,
    handle: (req, m, state) => {
      allowQuery(req.query, ['recurse', 'raw', 'keys', 'separator', 'index', 'wait', 'stale', 'consistent'], 'kv get');
      if (req.query.has('raw') || req.query.has('keys')) throw new Violation('?raw/?keys are valid Consul but not modelled by this fake');
      const recurse = flag(req.query, 'recurse');
      return { read: () => read(state, m[1]!, recurse) };
    },
  },
  {
    method: 'PUT',
    pattern: /^\/kv\/(.*)$/,
    handle: (req, m, state) => {
      allowQuery(req.query, ['cas', 'flags', 'acquire', 'release'], 'kv put');
      return { json: put(state, m[1]!, req.body, req.query) };
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/kv\/(.*)$/,
    handle: (req, m, state) => {
      allowQuery(req.query, ['recurse', 'cas'], 'kv delete');
      if (req.body.length) throw new Violation('DELETE takes no body');
      return { json: del(state, m[1]!, req.query) };
    },
  },
];
