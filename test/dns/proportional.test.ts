/**
 * Updates in proportion to the change, at the feed's boundary (fakeFeed hands out the test's own
 * instance objects, so what an update reads of them is counted): one changed service is visited
 * alone, a cold build gives the event loop back and publishes one whole table, and a shared
 * address's PTR name is capped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answer } from '../../src/dns/answer.js';
import { ZoneBuilder } from '../../src/dns/builder.js';
import { followCatalog } from '../../src/dns/follow.js';
import type { Zone } from '../../src/dns/handler.js';
import { startDnsServer } from '../../src/dns/index.js';
import { DnsMetrics } from '../../src/dns/metrics.js';
import { buildTable, type ZoneTable } from '../../src/dns/table.js';
import { TYPE, wireKey } from '../../src/dns/wire.js';
import { silentLogger } from '../../src/log/index.js';
import { eventually } from '../support/wait.js';
import { counted, countedReads, fakeFeed } from './feed-fake.js';
import { host, inst } from './fixtures.js';
import { buildQuery, decode, udpAsk } from './wire-helpers.js';

/** `services` services of `per` instances each, distinct addresses. */
function catalogOf(services: number, per: number) {
  return Array.from({ length: services * per }, (_, n) => inst({ service: `svc${n % services}`, name: `i${n}`, address: `10.${n >> 16}.${(n >> 8) & 255}.${n & 255}` }));
}

test('a change to one service reads only that service, not the 2,000 instances', async (t) => {
  const all = catalogOf(200, 10).map(counted);
  const feed = fakeFeed(all);
  const server = await startDnsServer({ catalog: feed.catalog, addr: { host: '127.0.0.1', port: 0 } });
  t.after(() => server.stop());
  await server.synced();
  const count = async () => decode(await udpAsk(server.address().port, buildQuery('svc7.service.cluster', TYPE.A))).answer.length;
  assert.equal(await count(), 10);

  countedReads.service = 0;
  const changed = all.find((i) => i.service === 'svc7')!;
  feed.push({ index: 2, instances: [{ id: changed.id, instance: counted({ ...changed, service: 'svc7', health: 'critical' }) }] });
  await eventually(async () => (await count()) === 9, 5_000, 'the flip is answered');
  assert.ok(countedReads.service > 0, 'the change itself was read');
  assert.ok(countedReads.service < 40, `one service's worth of reads, not the catalog's: ${countedReads.service}`);
});

test('a cold build of 5,000 instances gives the loop back and publishes one whole table', async (t) => {
  const all = catalogOf(500, 10);
  const published: ZoneTable[] = [];
  let turnsAtPublish = -1;
  const shared = {
    table: () => published.at(-1),
    setTable(table: ZoneTable) {
      published.push(table);
      if (turnsAtPublish < 0) turnsAtPublish = turns;
    },
  } as unknown as Zone;
  // Counts turns of the loop's check phase: a build that never yields leaves it at one or two.
  let turns = 0;
  let ticking = true;
  const tick = () => {
    turns++;
    if (ticking) setImmediate(tick);
  };
  const abort = new AbortController();
  t.after(() => {
    ticking = false;
    abort.abort();
  });
  const feed = fakeFeed(all);
  const synced = followCatalog(feed.catalog, { zone: 'cluster', ttl: 5, nsAddress: '127.0.0.1', shared, metrics: new DnsMetrics(), log: silentLogger, signal: abort.signal, sliceMs: 0 });
  setImmediate(tick);
  await synced;
  assert.ok(turnsAtPublish > 100, `the loop turned ${turnsAtPublish} times during the build`);
  assert.equal(published.length, 1, 'no partial table is published');
  const cold = buildTable({ zone: 'cluster', ttl: 5, serial: 1, instances: all, hosts: [], nsAddress: '127.0.0.1' });
  assert.equal(published[0]!.names.size, cold.names.size);
  assert.equal(published[0]!.records, cold.records);
});

test('PTR of a shared address: at most 32 targets, the host name first; a change past them re-encodes nothing there', () => {
  const shared = Array.from({ length: 100 }, (_, n) => inst({ service: `s${n}`, name: `s${n}-0`, address: '10.9.0.1', port: 1000 + n }));
  const hosts = [host('node-9', '10.9.0.1')];
  const first = buildTable({ zone: 'cluster', ttl: 5, serial: 1, instances: shared, hosts, nsAddress: '127.0.0.1' });
  const ask = (table: ZoneTable, udp: boolean) => decode(answer({ table, zoneKey: wireKey('cluster'), forwarding: false, metrics: new DnsMetrics() }, buildQuery('1.0.9.10.in-addr.arpa', TYPE.PTR), udp)!);
  const tcp = ask(first, false).answer.map((r) => r.data);
  assert.equal(tcp.length, 32);
  assert.equal(tcp.filter((d) => d === 'node-9.node.cluster').length, 1, 'the host name is among them');
  const udp = ask(first, true);
  assert.ok(udp.answer.length > 0 && udp.answer.length < 32, 'over 512-byte UDP: what fits, with TC');
  assert.ok(udp.tc);
  const next = shared.map((i, n) => (n === 99 ? { ...i, health: 'critical' as const } : i));
  const warm = buildTable({ zone: 'cluster', ttl: 5, serial: 2, instances: next, hosts, nsAddress: '127.0.0.1', previous: first });
  const key = wireKey('1.0.9.10.in-addr.arpa');
  assert.equal(warm.names.get(key), first.names.get(key), 'the PTR entry is kept, not re-encoded');
  assert.notEqual(warm.names.get(wireKey('s99.service.cluster')), first.names.get(wireKey('s99.service.cluster')));
});

test('a health flip re-merges only the names whose records it changes, not the /24 reverse zone 256 services hold', () => {
  const builder = new ZoneBuilder('cluster', 30, '127.0.0.1');
  // 256 services of one instance each, all in 10.9.8.0/24: its reverse zone's apex has 256 owners.
  const services = new Map(Array.from({ length: 256 }, (_, n) => [`s${n}`, [inst({ service: `s${n}`, name: `s${n}-0`, address: `10.9.8.${n}` })]]));
  builder.apply({ services, hosts: new Map() }, 1);
  assert.ok(builder.last!.names.get(wireKey('8.9.10.in-addr.arpa')), 'the reverse zone exists');
  const before = builder.counts.merged;
  const flipped = [{ ...services.get('s7')![0]!, health: 'critical' as const }];
  const table = builder.apply({ services: new Map([['s7', flipped]]), hosts: new Map() }, 2);
  const merged = builder.counts.merged - before;
  // s7's service name and SRV name, its instance's own names: a handful, not the apex's 256 owners.
  assert.ok(merged > 0 && merged < 20, `${merged} fragments merged for one flip`);
  const ask = (name: string) => decode(answer({ table, zoneKey: wireKey('cluster'), forwarding: false, metrics: new DnsMetrics() }, buildQuery(name, TYPE.A), false)!);
  assert.equal(ask('s7.service.cluster').answer.length, 0);
  assert.equal(ask('s8.service.cluster').answer.length, 1);
});
