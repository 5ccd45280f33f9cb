/**
 * DNS over TCP with a NEW connection per query (issue #16's "connection churn" goal: >= 0.8x NSD):
 * Maestro's DNS server as `maestro up` runs it (default TCP limits; `maestro`: the dns-tcp addon's
 * listener, `maestro-net`: the same server with MAESTRO_NATIVE=0, Node's `net` and tcp.ts) and NSD
 * serving the same zone, each pinned to core 0, loaded in alternating rounds by tcp-churn.c on core 1
 * (connect, one framed query, read the answer, close; CONCURRENCY connections in flight). dnsperf's
 * TCP mode keeps connections open, so it cannot measure this. A Node `net` server doing no DNS work
 * (tcp-churn-floor.ts) runs too: Node's own floor per connection. Prints per server and round: checked answers per second, p50/p99
 * latency (connect to last byte), server CPU time per connection; then medians and Maestro/NSD.
 *
 * Before the rounds every query of the set is asked of both servers over TCP and their answers
 * compared (rcode, answer set); during them the generator checks every answer (ID, NOERROR, an answer
 * record, the question echoed) and counts only those.
 *
 * Runs are bounded by time and by count (--max, default 6,000): each connection holds a conntrack
 * entry for two minutes after it closes (see conntrackRoom), so the rounds wait for the table to have
 * room rather than fill it for the whole host.
 *
 * Concurrency stays under both servers' connection cap (100 each, NSD's tcp-count): a server still
 * holds a connection until it has read the client's FIN, so at 100 the cap would refuse some.
 *
 *   apt-get install -y nsd gcc     # once, by hand
 *   node .build/<you>/bench/dns/tcp-churn.js [--rounds 3] [--seconds 5] [--concurrency 50] [--max 500000]
 *        [--services 50] [--per 3] [--hosts 10] [--only maestro,maestro-net,nsd,floor] [--cpu-prof DIR] [--build DIR] [--compare DIR]
 * `--cpu-prof DIR` writes a V8 profile of the Maestro server there (summarise it with
 * bench/proxy/profile-summary.js); `--build DIR` runs Maestro from another private build; `--compare DIR`
 * adds that build as a fourth server, `maestro-b` (before/after in the same rounds).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildQuery, decode, tcpAsk } from '../../test/dns/wire-helpers.js';
import { dataset, queryFile, zoneFile } from './dataset.js';
import { buildLoadGenerator, children, cpuNs, startFloor, startMaestro, startNsd, type ServerProc } from './tcp-churn-procs.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '50' },
    /** Connections per run at most, whatever the time (see conntrack below). */
    max: { type: 'string', default: '6000' },
    services: { type: 'string', default: '50' },
    per: { type: 'string', default: '3' },
    hosts: { type: 'string', default: '10' },
    only: { type: 'string' },
    'cpu-prof': { type: 'string' },
    build: { type: 'string' },
    compare: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const shape = [Number(values.services), Number(values.per), Number(values.hosts)] as const;

const dir = mkdtempSync(join(tmpdir(), 'maestro-tcpchurn-'));
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // nsd may still be writing its state files as it exits; a stale temp dir is harmless.
  }
});
process.on('SIGINT', () => process.exit(130));

const generator = buildLoadGenerator(dir);
const data = dataset(...shape);
writeFileSync(join(dir, 'cluster.zone'), zoneFile(data, 'cluster', 5));
// Names that exist only: the generator counts an answer only when it is NOERROR with a record.
const asked = queryFile(data, 'cluster').trim().split('\n').filter((l) => !l.startsWith('missing'));
const types: Record<string, number> = { A: 1, SRV: 33 };
// EDNS 1232 as `dig +tcp` sends it.
const queries = asked.map((line) => buildQuery(line.split(' ')[0]!, types[line.split(' ')[1]!]!, { edns: 1232 }));
const frames = join(dir, 'queries.bin');
writeFileSync(frames, Buffer.concat(queries.flatMap((q) => [Buffer.from([q.length >> 8, q.length & 255]), q])));

const only = new Set((values.only ?? 'maestro,maestro-net,nsd,floor').split(','));
const servers: ServerProc[] = [];
const prof = values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']] : [];
if (only.has('maestro')) servers.push(await startMaestro('maestro', '0', shape, prof, values.build));
if (only.has('maestro-net')) servers.push(await startMaestro('maestro-net', '0', shape, prof, values.build, { MAESTRO_NATIVE: '0' }));
if (values.compare) servers.push(await startMaestro('maestro-b', '0', shape, [], values.compare));
if (only.has('nsd')) servers.push(await startNsd('0', dir));
if (only.has('floor')) servers.push(await startFloor('0'));
const byName = (name: string) => servers.find((s) => s.name === name);
for (const m of servers.filter((s) => s.name.startsWith('maestro'))) if (byName('nsd')) await sameAnswers(m, byName('nsd')!);
console.log(`dataset: ${data.instances.length} instances, ${data.hosts.length} hosts; ${queries.length} names (all positive)`);
console.log(`${rounds} rounds x ${values.seconds}s, concurrency ${values.concurrency}, servers on core 0, generator on core 1, alternating`);

interface Run {
  qps: number;
  p50: number;
  p99: number;
  cpuUs: number;
  failed: number;
  clientBusy: number;
}
const results = new Map<string, Run[]>(servers.map((s) => [s.name, []]));
for (const s of servers) await churn(s, 1, 1000); // warm-up: JIT, NSD's caches, the TIME_WAIT pattern
for (let r = 0; r < rounds; r++) {
  for (const s of r % 2 === 0 ? servers : [...servers].reverse()) {
    const run = await churn(s, Number(values.seconds), Number(values.max));
    results.get(s.name)!.push(run);
    console.log(
      `round ${r + 1} ${s.name.padEnd(11)} ${run.qps.toFixed(0).padStart(6)} conn/s  p50 ${(run.p50 / 1e3).toFixed(3)} ms  ` +
        `p99 ${(run.p99 / 1e3).toFixed(3)} ms  cpu ${run.cpuUs.toFixed(1)} us/conn  failed ${run.failed}  generator busy ${(run.clientBusy * 100).toFixed(0)}%`,
    );
  }
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const summary = new Map<string, Run>();
for (const [name, runs] of results) {
  const s = { qps: med(runs.map((x) => x.qps)), p50: med(runs.map((x) => x.p50)), p99: med(runs.map((x) => x.p99)), cpuUs: med(runs.map((x) => x.cpuUs)) };
  summary.set(name, { ...s, failed: runs.reduce((a, x) => a + x.failed, 0), clientBusy: med(runs.map((x) => x.clientBusy)) });
  console.log(`median  ${name.padEnd(11)} ${s.qps.toFixed(0)} conn/s, p50 ${(s.p50 / 1e3).toFixed(3)} ms, p99 ${(s.p99 / 1e3).toFixed(3)} ms, ${s.cpuUs.toFixed(1)} us CPU/conn`);
}
const m = summary.get('maestro');
const n = summary.get('nsd');
const f = summary.get('floor');
const ratio = (a: Run, b: Run) => `${(a.qps / b.qps).toFixed(2)}x conn/s; ${(b.cpuUs / a.cpuUs).toFixed(2)}x by CPU per connection; p99 ${(a.p99 / b.p99).toFixed(2)}x`;
if (m && n) console.log(`ratio maestro/nsd: ${ratio(m, n)} (target >= 0.8x)`);
const net = summary.get('maestro-net');
if (net && n) console.log(`ratio maestro-net/nsd (the net fallback): ${ratio(net, n)}`);
for (const [name, s] of summary) {
  // Past ~90% the generator's core, not the server, sets the pace: only CPU per connection compares.
  if (s.clientBusy > 0.9) console.log(`note: ${name}'s conn/s is bounded by the generator (its core ${(s.clientBusy * 100).toFixed(0)}% busy)`);
}
if (f && n) console.log(`ratio floor/nsd (Node net, no DNS work): ${ratio(f, n)}`);
if (m && f) console.log(`ratio maestro/floor: ${ratio(m, f)}`);
const b = summary.get('maestro-b');
if (m && b) console.log(`ratio maestro/maestro-b: ${ratio(m, b)}`);
process.exit(0);

async function churn(server: ServerProc, secs: number, max: number): Promise<Run> {
  await conntrackRoom(max);
  const before = cpuNs(server.pid);
  const args = [String(server.port), frames, values.concurrency!, String(secs), String(max)];
  const out = execFileSync('taskset', ['-c', '1', generator, ...args], { encoding: 'utf8' });
  const ns = cpuNs(server.pid) - before;
  const f = Object.fromEntries(out.trim().split(' ').map((kv) => kv.split('=') as [string, string]));
  const num = (k: string) => Number(f[k]);
  const ok = num('ok');
  if (!(ok > 0)) throw new Error(`${server.name}: no checked answer (${out.trim()})`);
  return {
    qps: num('qps'),
    p50: num('p50_us'),
    p99: num('p99_us'),
    cpuUs: ns / 1e3 / ok,
    failed: num('connect_errors') + num('closed_early') + num('bad_answers') + num('timeouts'),
    clientBusy: num('client_cpu') / num('elapsed'),
  };
}

/**
 * Every connection leaves a netfilter conntrack entry for 120 s after it closes (TIME_WAIT) when the
 * host tracks connections (Docker's NAT does), and a full table drops new connections host-wide:
 * other users' too. So a run starts only when the table has room for it under 30% of its size.
 */
async function conntrackRoom(need: number): Promise<void> {
  const read = (name: string) => {
    try {
      return Number(readFileSync(`/proc/sys/net/netfilter/nf_conntrack_${name}`, 'utf8'));
    } catch {
      return NaN; // no conntrack: no limit
    }
  };
  const max = read('max');
  for (let said = false; read('count') + need > max * 0.3; said = true) {
    if (!said) console.log(`(waiting for conntrack entries to expire: ${read('count')} of ${max})`);
    await new Promise((r) => setTimeout(r, 2_000));
  }
}

/** Both servers give the same rcode and the same answer set over TCP for every name of the set. */
async function sameAnswers(a: ServerProc, b: ServerProc): Promise<void> {
  for (const [i, q] of queries.entries()) {
    const [x, y] = (await Promise.all([tcpAsk(a.port, q), tcpAsk(b.port, q)])).map(decode);
    const norm = (d: ReturnType<typeof decode>) => `${d.rcode} ${d.answer.map((r) => r.data).sort().join(',')}`;
    if (norm(x!) !== norm(y!) || x!.answer.length === 0) throw new Error(`answers differ for ${asked[i]}: ${a.name} ${norm(x!)} / ${b.name} ${norm(y!)}`);
  }
}
