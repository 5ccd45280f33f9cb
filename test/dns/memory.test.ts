/**
 * What the table keeps must not grow with what it has seen, only with what it serves: a catalog whose
 * containers restart with new addresses all day must not leave one cache entry per address ever seen.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Encoder } from '../../src/dns/encoder.js';
import { buildTable } from '../../src/dns/table.js';
import { TYPE, wireKey } from '../../src/dns/wire.js';
import { answer } from '../../src/dns/answer.js';
import { DnsMetrics } from '../../src/dns/metrics.js';
import { buildQuery, decode } from './wire-helpers.js';
import type { ServiceInstance } from '../../src/catalog/types.js';

test('the address cache stays bounded however many addresses pass through it, and keeps parsing right', () => {
  const enc = new Encoder('cluster', 5);
  const seen = 20_000;
  for (let n = 0; n < seen; n++) {
    const addr = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
    assert.deepEqual(enc.rdataOf(TYPE.A, addr), [10, (n >> 16) & 255, (n >> 8) & 255, n & 255]);
    assert.equal(enc.rdataOf(TYPE.AAAA, addr), undefined);
  }
  const size = (enc as unknown as { rdataCache: Map<string, unknown> }).rdataCache.size;
  assert.ok(size > 0 && size <= 4096, `the cache holds ${size} entries after ${seen} addresses`);
});

test('a table rebuilt through many address changes answers only the current addresses', () => {
  const inst = (n: number): ServiceInstance => ({ id: 'h:c1:80', service: 'web', name: 'web-0', host: 'h', address: `10.1.${(n >> 8) & 255}.${n & 255}`, port: 80, tags: [], meta: {}, health: 'passing' });
  let table = buildTable({ zone: 'cluster', ttl: 5, serial: 1, instances: [inst(0)], hosts: [], nsAddress: '127.0.0.1' });
  for (let n = 1; n <= 5_000; n++) table = buildTable({ zone: 'cluster', ttl: 5, serial: n + 1, instances: [inst(n)], hosts: [], nsAddress: '127.0.0.1', previous: table });
  const res = answer({ table, zoneKey: wireKey('cluster'), forwarding: false, metrics: new DnsMetrics() }, buildQuery('web.service.cluster', TYPE.A), true);
  assert.deepEqual(decode(res!).answer.map((r) => r.data), ['10.1.19.136']);
  // The reverse zones of departed addresses are gone with them: only 136.19.1.10's /24 and its PTR remain.
  const reverse = [...table.names.keys()].filter((k) => k.endsWith(wireKey('in-addr.arpa')));
  assert.deepEqual(reverse.sort(), [wireKey('136.19.1.10.in-addr.arpa'), wireKey('19.1.10.in-addr.arpa')].sort());
});

test('answers and index keys rebuilt after the first table have memory of their own; the first table packs them into shared slabs', () => {
  // A slice of a shared slab keeps the whole slab alive: rebuilt answers sliced from Node's pool
  // pinned ~one 8 KB slab per catalog change (external memory +12 MB in 20 s of 100 changes/s).
  const instances = Array.from({ length: 300 }, (_, n): ServiceInstance => ({ id: `h:c${n}:80`, service: `svc${n % 30}`, name: `svc${n % 30}-${Math.floor(n / 30)}`, host: 'h', address: `10.2.${n >> 8}.${n & 255}`, port: 80, tags: [], meta: {}, health: 'passing' }));
  const base = { zone: 'cluster', ttl: 5, hosts: [], nsAddress: '127.0.0.1' };
  const first = buildTable({ ...base, serial: 1, instances });
  const key = wireKey('svc7.service.cluster');
  const before = first.names.get(key)!.a!.bytes;
  assert.ok(before.buffer.byteLength > before.length * 4, `the first table's answers share slabs (${before.length} bytes in ${before.buffer.byteLength})`);
  const flipped = instances.map((i) => (i.id === 'h:c7:80' ? { ...i, health: 'critical' as const } : i));
  const second = buildTable({ ...base, serial: 2, instances: flipped, previous: first });
  const after = second.names.get(key)!.a!;
  assert.equal(after.count, 9, 'the flipped instance left the answer');
  assert.equal(after.bytes.buffer.byteLength, after.bytes.length, 'a rebuilt answer owns exactly its bytes');
  // The index shards holding changed names were replaced too: each shares the keys of the shard it
  // replaces (same names, new answers) or owns exactly its key bytes (a name came or went: the
  // flipped instance's PTR name is gone).
  type Shard = { keyBytes: Buffer };
  const shardsOf = (t: typeof first) => (t.names as unknown as { shards: Shard[] }).shards;
  const replaced = shardsOf(second).map((s, i) => [s, shardsOf(first)[i]!] as const).filter(([s, was]) => s !== was);
  assert.ok(replaced.some(([s, was]) => s.keyBytes === was.keyBytes), 'a shard whose names stayed shares their keys');
  const rebuilt = replaced.filter(([s, was]) => s.keyBytes !== was.keyBytes);
  assert.ok(rebuilt.length > 0, 'the PTR name left: its shard was rebuilt');
  for (const [s] of rebuilt) assert.equal(s.keyBytes.buffer.byteLength, s.keyBytes.length, 'a rebuilt shard owns exactly its key bytes');
  assert.equal(first.names.get(key)!.a!.bytes, before, 'the first table is unchanged');
});
