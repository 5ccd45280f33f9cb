/**
 * Differential check of every name form the README lists: each query, in two letter cases, with and
 * without EDNS (tiny, default, huge buffers, DO set), over UDP and TCP, on both UDP paths, is decoded
 * by npm dns2 and, asked again, by bind9's dig (+norec, +bufsize, +tcp) — and both must agree with
 * what the catalog holds: records, RCODE, AA, TC, the size limit, the OPT record, compression.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type DnsServer } from '../../src/dns/index.js';
import { TYPE } from '../../src/dns/wire.js';
import { digBatch, type DigResult } from './dig.js';
import { sampleCluster, staticCatalog } from './fixtures.js';
import { big, CASES, VARIANTS, type Case, type Variant } from './differential-cases.js';
import { auditPointers, typeName, viewOf, type View } from './oracle.js';
import { buildQuery, tcpAsk, udpAsk } from './wire-helpers.js';

/** "ReDiS.SeRvIcE…": letters alternate case, so the echoed question and the records can be told apart. */
const mixCase = (name: string) => [...name].map((ch, i) => (i % 2 ? ch.toUpperCase() : ch)).join('');
const udpLimit = (v: Variant) => (v.edns === undefined ? 512 : Math.min(1232, Math.max(512, v.edns)));

/** What both decoders' views are held to. */
function judge(view: View & { size: number }, c: Case, asked: string, v: Variant, tcp: boolean, where: string): void {
  const is = (ok: boolean, what: string) => assert.ok(ok, `${where}: ${what}\n${JSON.stringify(view, null, 1).slice(0, 1500)}`);
  is(view.qr && view.rcode === c.rcode, `rcode ${view.rcode}, expected ${c.rcode}`);
  is(view.aa === (c.rcode !== 5), `aa ${view.aa}`);
  is(JSON.stringify(view.question) === JSON.stringify([`${asked} ${typeName(c.type)}`]), `question ${view.question}`);
  if (!tcp) is(view.size <= udpLimit(v), `${view.size} bytes over UDP, limit ${udpLimit(v)}`);
  // The owner of every answer is the name as asked (compressed to the question); the data as registered.
  is(view.answer.every((r) => r.startsWith(`${asked} `)), 'answer owners');
  const got = view.answer.map((r) => r.slice(asked.length + 1));
  is(new Set(got).size === got.length && got.every((r) => c.answer.includes(r)), `answers not in the catalog: ${got.filter((r) => !c.answer.includes(r))}`);
  is(view.tc === got.length < c.answer.length, `tc ${view.tc} with ${got.length} of ${c.answer.length} records`);
  if (tcp) is(got.length === c.answer.length, `TCP carries all ${c.answer.length}`);
  if (c.answer.length > 0) is(got.length > 0, 'some records fit');
  const soa = view.authority.map((r) => r.split(' ').slice(0, 2).join(' ').toLowerCase());
  is(JSON.stringify(soa) === JSON.stringify(c.soa ? [`${c.soa} soa`] : []), `authority ${view.authority}`);
  // Each SRV record travels with its target's address, none other. Their owners are compressed
  // against the question, so they come in its case (names compare case-insensitively, RFC 4343).
  const extra = c.additional ?? [];
  const expectedExtra = c.type === TYPE.SRV ? got.map((r) => extra.find((e) => e.startsWith(r.split(' ')[4]! + ' '))!) : extra;
  const lower = (rrs: string[]) => JSON.stringify(rrs.map((r) => r.toLowerCase()).sort());
  is(lower(view.additional) === lower(expectedExtra), `additional ${view.additional}`);
  if (v.edns === undefined) is(view.opt === undefined, 'no OPT without EDNS');
  else is(view.opt?.udp === 1232 && view.opt.version === 0 && view.opt.do === !!v.do, `OPT ${JSON.stringify(view.opt)}`);
}

function fromDig(r: DigResult & { opt?: { version: number; flags: string[]; udp: number } }): View & { size: number } {
  const strip = (t: string) => (t.length > 1 && t.endsWith('.') ? t.slice(0, -1) : t);
  const rr = (x: string[]) => [strip(x[0]!), x[3]!, ...x.slice(4).map(strip)].join(' ');
  const question = /^;(\S+)\s+IN\s+(\S+)/m.exec(r.raw);
  const size = /MSG SIZE\s+rcvd: (\d+)/.exec(r.raw);
  return {
    id: 0,
    qr: r.flags.includes('qr'),
    aa: r.flags.includes('aa'),
    tc: r.flags.includes('tc'),
    rcode: ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'].indexOf(r.status),
    question: question ? [`${strip(question[1]!)} ${question[2]}`] : [],
    answer: r.answer.map(rr),
    authority: r.authority.map(rr),
    additional: r.additional.map(rr),
    opt: r.opt && { udp: r.opt.udp, version: r.opt.version, do: r.opt.flags.includes('do') },
    size: size ? Number(size[1]) : Infinity,
  };
}

const servers: DnsServer[] = [];
before(async () => {
  const { instances, hosts } = sampleCluster();
  for (const udpIo of ['auto', 'node'] as const) {
    const s = await startDnsServer({ catalog: staticCatalog([...instances, ...big], hosts), ttl: 3, addr: { host: '127.0.0.1', port: 0 }, udpIo });
    servers.push(s);
    await s.synced();
  }
});
after(() => Promise.all(servers.map((s) => s.stop())));

for (const path of ['default (native)', 'dgram'] as const) {
  test(`dns2 judges every name form × case × EDNS × UDP/TCP on the ${path} UDP path`, async () => {
    const s = servers[path === 'dgram' ? 1 : 0]!;
    let checked = 0;
    for (const c of CASES) {
      for (const asked of [c.name, mixCase(c.name)]) {
        for (const v of VARIANTS) {
          for (const tcp of [false, true]) {
            const id = (checked + 1) & 0xffff;
            const q = buildQuery(asked, c.type, { id, edns: v.edns, do: v.do, rd: false });
            const raw = tcp ? await tcpAsk(s.address().port, q) : await udpAsk(s.address().port, q);
            const where = `${path} ${tcp ? 'TCP' : 'UDP'} ${asked} ${typeName(c.type)} ${v.label}`;
            auditPointers(raw);
            const view = viewOf(raw);
            assert.equal(view.id, id, where);
            judge({ ...view, size: raw.length }, c, asked, v, tcp, where);
            checked++;
          }
        }
      }
    }
    assert.equal(checked, CASES.length * 2 * VARIANTS.length * 2);
  });

  test(`dig judges the same queries on the ${path} UDP path`, async () => {
    const s = servers[path === 'dgram' ? 1 : 0]!;
    const asks: { c: Case; asked: string; v: Variant; tcp: boolean }[] = [];
    for (const c of CASES) {
      for (const asked of [c.name, mixCase(c.name)]) {
        for (const v of VARIANTS) for (const tcp of [false, true]) asks.push({ c, asked, v, tcp });
      }
    }
    let judged = 0;
    for (const tcp of [false, true]) {
      const mine = asks.filter((a) => a.tcp === tcp);
      const lines = mine.map(({ c, asked, v }) => [asked, typeName(c.type), '+ignore', ...v.dig]);
      // +notcp: dig would send ANY over TCP on its own.
      const results = await digBatch(s.address().port, lines, tcp ? ['+tcp'] : ['+notcp']);
      results.forEach((r, i) => {
        const { c, asked, v } = mine[i]!;
        assert.match(r.raw, tcp ? /\(TCP\)/ : /\(UDP\)/);
        judge(fromDig(r), c, asked, v, tcp, `dig ${path} ${tcp ? 'TCP' : 'UDP'} ${asked} ${typeName(c.type)} ${v.label}`);
        judged++;
      });
    }
    assert.equal(judged, asks.length);
  });
}
