/**
 * The hot path alone, no sockets: answers per second of `answer()` over the benchmark's query mix, and
 * the cost of a table build and of a rebuild after one change. Shows how much of a query's cost is Maestro's own code versus the
 * runtime's UDP path (compare with the CPU per query printed by dnsperf.js).
 *
 * Times are process CPU time (not wall time), so neighbours on a shared machine do not skew them.
 *
 *   node .build/<you>/bench/dns/answer.js [--services 50] [--per 3] [--hosts 10] [--iterations 2000000]
 */
import { parseArgs } from 'node:util';
import { answer, type AnswerContext } from '../../src/dns/answer.js';
import { DnsMetrics } from '../../src/dns/metrics.js';
import { buildTable } from '../../src/dns/table.js';
import { TYPE, wireKey } from '../../src/dns/wire.js';
import { buildQuery } from '../../test/dns/wire-helpers.js';
import { dataset, queryFile } from './dataset.js';

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '50' },
    per: { type: 'string', default: '3' },
    hosts: { type: 'string', default: '10' },
    iterations: { type: 'string', default: '2000000' },
  },
});
const data = dataset(Number(values.services), Number(values.per), Number(values.hosts));
const iterations = Number(values.iterations);

const cpuMs = (since?: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e3;
};
let started = process.cpuUsage();
const table = buildTable({ zone: 'cluster', ttl: 5, serial: 1, ...data, nsAddress: '127.0.0.1' });
console.log(`table: ${table.names.size} names, ${table.records} records, built in ${cpuMs(started).toFixed(1)} ms CPU`);

// A rebuild after one instance changed health: only the names it touches are re-encoded.
let previous = table;
for (let i = 0; i < 3; i++) {
  const changed = data.instances[i * 7]!;
  changed.health = changed.health === 'passing' ? 'critical' : 'passing';
  started = process.cpuUsage();
  previous = buildTable({ zone: 'cluster', ttl: 5, serial: 2 + i, ...data, nsAddress: '127.0.0.1', previous });
  console.log(`rebuild after one change: ${cpuMs(started).toFixed(1)} ms CPU`);
}

const ctx: AnswerContext = { table, zoneKey: wireKey('cluster'), forwarding: false, metrics: new DnsMetrics() };
const queries = queryFile(data, 'cluster')
  .trim()
  .split('\n')
  .map((line) => {
    const [name, type] = line.split(' ') as [string, 'A' | 'SRV'];
    return buildQuery(name, TYPE[type], { id: 7 });
  });

for (let i = 0; i < 200_000; i++) answer(ctx, queries[i % queries.length]!, true); // warm-up
started = process.cpuUsage();
let bytes = 0;
for (let i = 0; i < iterations; i++) bytes += answer(ctx, queries[i % queries.length]!, true)!.length;
const ms = cpuMs(started);
console.log(`answer(): ${((ms * 1e6) / iterations).toFixed(0)} ns/query, ${((iterations / ms) * 1e3).toFixed(0)} answers/s on one core (avg ${(bytes / iterations).toFixed(0)} bytes)`);
