/**
 * What the differential test asks and expects: every name form of the DNS README over the sample
 * cluster (plus 300 instances of `big`), written from the fixture by hand — the server's code is not
 * consulted — and the EDNS variants each query is sent with.
 */
import { TYPE } from '../../src/dns/wire.js';
import { manyInstances } from './fixtures.js';

export interface Case {
  name: string;
  type: number;
  rcode: number;
  /** "TYPE rdata" of every record the name holds. */
  answer: string[];
  /** Apex whose SOA is in authority (negative answers). */
  soa?: string;
  /** "owner TYPE rdata" expected in the additional section. */
  additional?: string[];
}

const SOA = 'SOA ns.cluster hostmaster.cluster 1 3600 600 86400 3';
const redisSrv = ['SRV 1 1 6379 redis-0.redis.service.cluster', 'SRV 1 1 6380 redis-1.redis.service.cluster'];
const redisGlue = ['redis-0.redis.service.cluster A 10.0.0.1', 'redis-1.redis.service.cluster A 10.0.0.2'];
export const big = manyInstances('big', 300);
export const CASES: Case[] = [
  { name: 'redis.service.cluster', type: TYPE.A, rcode: 0, answer: ['A 10.0.0.1', 'A 10.0.0.2'] },
  { name: 'web.service.cluster', type: TYPE.AAAA, rcode: 0, answer: ['AAAA fd00::10'] },
  { name: 'redis.service.cluster', type: TYPE.SRV, rcode: 0, answer: redisSrv, additional: redisGlue },
  { name: '_redis._tcp.service.cluster', type: TYPE.SRV, rcode: 0, answer: redisSrv, additional: redisGlue },
  { name: '_redis._primary.service.cluster', type: TYPE.SRV, rcode: 0, answer: [redisSrv[0]!], additional: [redisGlue[0]!] },
  { name: 'cache.redis.service.cluster', type: TYPE.A, rcode: 0, answer: ['A 10.0.0.1', 'A 10.0.0.2'] },
  { name: 'redis-1.redis.service.cluster', type: TYPE.A, rcode: 0, answer: ['A 10.0.0.2'] },
  { name: 'kafka-0.kafka.service.cluster', type: TYPE.A, rcode: 0, answer: ['A 10.0.2.1', 'A 10.0.2.2'] },
  { name: 'node-1.node.cluster', type: TYPE.A, rcode: 0, answer: ['A 192.168.0.1'] },
  { name: 'cluster', type: TYPE.SOA, rcode: 0, answer: [SOA] },
  { name: 'cluster', type: TYPE.NS, rcode: 0, answer: ['NS ns.cluster'], additional: ['ns.cluster A 127.0.0.1'] },
  { name: 'ns.cluster', type: TYPE.A, rcode: 0, answer: ['A 127.0.0.1'] },
  { name: 'cluster', type: TYPE.ANY, rcode: 0, answer: [SOA, 'NS ns.cluster'] },
  { name: '1.0.0.10.in-addr.arpa', type: TYPE.PTR, rcode: 0, answer: ['PTR redis-0.redis.service.cluster'] },
  { name: '1.0.168.192.in-addr.arpa', type: TYPE.PTR, rcode: 0, answer: ['PTR node-1.node.cluster'] },
  { name: '0.0.10.in-addr.arpa', type: TYPE.SOA, rcode: 0, answer: [SOA] },
  // Reverse names nobody holds (or a critical instance's): NXDOMAIN with the reverse zone's SOA.
  { name: '99.0.0.10.in-addr.arpa', type: TYPE.PTR, rcode: 3, answer: [], soa: '0.0.10.in-addr.arpa' },
  { name: '3.0.0.10.in-addr.arpa', type: TYPE.PTR, rcode: 3, answer: [], soa: '0.0.10.in-addr.arpa' },
  { name: '1.0.0.10.in-addr.arpa', type: TYPE.A, rcode: 0, answer: [], soa: '0.0.10.in-addr.arpa' },
  { name: 'nope.service.cluster', type: TYPE.A, rcode: 3, answer: [], soa: 'cluster' },
  { name: 'redis.service.cluster', type: TYPE.AAAA, rcode: 0, answer: [], soa: 'cluster' },
  { name: 'down.service.cluster', type: TYPE.A, rcode: 0, answer: [], soa: 'cluster' },
  { name: 'example.com', type: TYPE.A, rcode: 5, answer: [] },
  { name: '4.4.8.8.in-addr.arpa', type: TYPE.PTR, rcode: 5, answer: [] },
  { name: 'big.service.cluster', type: TYPE.A, rcode: 0, answer: big.map((i) => `A ${i.address}`) },
  {
    name: 'big.service.cluster',
    type: TYPE.SRV,
    rcode: 0,
    answer: big.map((i) => `SRV 1 1 ${i.port} ${i.name}.big.service.cluster`),
    additional: big.map((i) => `${i.name}.big.service.cluster A ${i.address}`),
  },
];

export interface Variant {
  label: string;
  edns?: number;
  do?: boolean;
  dig: string[];
}
export const VARIANTS: Variant[] = [
  { label: 'no EDNS', dig: ['+noedns'] },
  { label: 'EDNS 100 (tiny)', edns: 100, dig: ['+bufsize=100'] },
  { label: 'EDNS 1232', edns: 1232, dig: ['+bufsize=1232'] },
  { label: 'EDNS 4096 DO', edns: 4096, do: true, dig: ['+bufsize=4096', '+dnssec'] },
  { label: 'EDNS 65535 (huge)', edns: 65_535, dig: ['+bufsize=65535'] },
];

