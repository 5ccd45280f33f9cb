/**
 * dnsperf against Maestro's DNS server (on its default UDP path — the udp-batch addon when built — and
 * with Node's dgram forced) and NSD serving the same names (same query file) — and against a Node echo
 * server (dgram's floor, see echo.ts) — each server
 * pinned to core 0 and dnsperf to core 1, bounded runs in alternating rounds; prints qps, latency and
 * the Maestro/NSD ratio of the medians. Not run by CI.
 *
 * It also reports the server CPU time per answered query (from /proc, server processes only): on a
 * shared machine where other work steals the server's core, qps swings with the neighbours, while
 * CPU per query stays a fair measure of each server's own cost.
 *
 *   apt-get install -y dnsperf nsd     # once, by hand
 *   node .build/<you>/bench/dns/dnsperf.js [--rounds 5] [--seconds 5] [--services 50] [--per 3] [--hosts 10]
 *                                          [--outstanding 100]
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildQuery, decode, udpAsk } from '../../test/dns/wire-helpers.js';
import { dataset, queryFile, zoneFile } from './dataset.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '5' },
    services: { type: 'string', default: '50' },
    per: { type: 'string', default: '3' },
    hosts: { type: 'string', default: '10' },
    /** dnsperf -q: queries in flight; more saturates the servers harder. */
    outstanding: { type: 'string', default: '100' },
  },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const shape = [Number(values.services), Number(values.per), Number(values.hosts)] as const;

for (const tool of ['dnsperf', 'nsd', 'taskset']) {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
  } catch {
    console.error(`bench/dns: ${tool} not found (apt-get install -y dnsperf nsd util-linux)`);
    process.exit(2);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'maestro-dnsbench-'));
const data = dataset(...shape);
const queries = join(dir, 'queries.txt');
writeFileSync(queries, queryFile(data, 'cluster'));
writeFileSync(join(dir, 'cluster.zone'), zoneFile(data, 'cluster', 5));
const children: ChildProcess[] = [];
const cleanup = () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // nsd may still be writing its state files as it exits; a stale temp dir is harmless.
  }
};
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

const maestro = await startNode('serve.js', ['0', ...shape.map(String), 'auto']);
const maestroNode = await startNode('serve.js', ['0', ...shape.map(String), 'node']);
const floor = await startNode('echo.js', []);
const nsd = await startNsd();
const maestroPort = maestro.port;
const nsdPort = nsd.port;
await checkSameAnswers();
console.log(`maestro UDP path: ${maestro.udpIo}; maestro-node: ${maestroNode.udpIo} (forced)`);
console.log(`dataset: ${data.instances.length} instances, ${data.hosts.length} hosts; ${rounds} rounds × ${seconds}s, alternating`);

type Name = 'maestro' | 'maestro-node' | 'nsd' | 'floor';
const servers: Record<Name, Server> = { maestro, 'maestro-node': maestroNode, nsd, floor };
const results: Record<Name, Run[]> = { maestro: [], 'maestro-node': [], nsd: [], floor: [] };
for (const server of Object.values(servers)) dnsperf(server, 1); // warm-up
for (let r = 0; r < rounds; r++) {
  const order: Name[] = r % 2 === 0 ? ['maestro', 'nsd', 'maestro-node', 'floor'] : ['floor', 'maestro-node', 'nsd', 'maestro'];
  for (const name of order) {
    const run = dnsperf(servers[name], seconds);
    results[name].push(run);
    console.log(
      `round ${r + 1} ${name.padEnd(12)} ${run.qps.toFixed(0).padStart(7)} qps  avg ${(run.latency * 1e3).toFixed(3)} ms  ` +
        `cpu ${run.cpuUs.toFixed(1)} us/query  lost ${run.lost}`,
    );
  }
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const summary = (runs: Run[]) => ({ qps: med(runs.map((x) => x.qps)), lat: med(runs.map((x) => x.latency)), cpu: med(runs.map((x) => x.cpuUs)) });
const m = summary(results.maestro);
const n = summary(results.nsd);
const mn = summary(results['maestro-node']);
const f = summary(results.floor);
for (const [name, s] of [['maestro', m], ['maestro-node', mn], ['nsd', n], ['floor', f]] as const) {
  console.log(`median  ${name.padEnd(12)} ${s.qps.toFixed(0)} qps, avg latency ${(s.lat * 1e3).toFixed(3)} ms, ${s.cpu.toFixed(1)} us CPU/query`);
}
console.log(`ratio maestro/nsd (UDP ${maestro.udpIo}): ${(m.qps / n.qps).toFixed(2)}x qps (target >= 0.8x); ${(n.cpu / m.cpu).toFixed(2)}x by CPU cost per query`);
console.log(`ratio maestro-node/nsd (UDP node): ${(mn.qps / n.qps).toFixed(2)}x qps; ${(n.cpu / mn.cpu).toFixed(2)}x by CPU cost per query`);
console.log(`ratio maestro/floor (a Node echo server doing no DNS work): ${(m.qps / f.qps).toFixed(2)}x qps; ${(f.cpu / m.cpu).toFixed(2)}x by CPU cost`);
process.exit(0);

interface Run {
  qps: number;
  latency: number;
  lost: number;
  /** Server CPU time (user + system) per completed query, microseconds. */
  cpuUs: number;
}

interface Server {
  port: number;
  pid: number;
  /** Maestro's UDP path, as serve.js reports it. */
  udpIo?: string;
}

function dnsperf(server: Server, secs: number): Run {
  const before = cpuTicks(server.pid);
  const out = execFileSync('taskset', ['-c', '1', 'dnsperf', '-s', '127.0.0.1', '-p', String(server.port), '-d', queries, '-l', String(secs), '-t', '1', '-q', values.outstanding!], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ticks = cpuTicks(server.pid) - before;
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
  const completed = num(/Queries completed:\s+(\d+)/);
  return {
    qps: num(/Queries per second:\s+([\d.]+)/),
    latency: num(/Average Latency \(s\):\s+([\d.]+)/),
    lost: num(/Queries lost:\s+(\d+)/),
    cpuUs: (ticks * 10_000) / completed,
  };
}

/** utime + stime (1/100 s ticks) of a process and all its descendants (NSD forks xfrd → main → server). */
function cpuTicks(pid: number): number {
  const procs = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // After "(comm)": state(0) ppid(1) … utime(11) stime(12).
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.set(Number(entry), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // The process went away between readdir and read.
    }
  }
  const tree = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [p, info] of procs) if (!tree.has(p) && tree.has(info.ppid)) grew = tree.add(p) !== undefined;
  }
  let total = 0;
  for (const p of tree) total += procs.get(p)?.ticks ?? 0;
  return total;
}

/** A Node server script beside this one, pinned to core 0; it prints "ready PORT [UDP_IO]". */
async function startNode(script: string, args: string[]): Promise<Server> {
  const path = join(dirname(fileURLToPath(import.meta.url)), script);
  const child = spawn('taskset', ['-c', '0', process.execPath, path, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited (${code})`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      const m = /ready (\d+)(?: (\w+))?/.exec(chunk.toString());
      if (m) resolve({ port: Number(m[1]), pid: child.pid!, udpIo: m[2] });
    });
  });
}

async function startNsd(): Promise<Server> {
  const port = await freePort();
  const conf = join(dir, 'nsd.conf');
  writeFileSync(
    conf,
    [
      'server:',
      `  ip-address: 127.0.0.1@${port}`,
      '  server-count: 1',
      '  username: ""',
      `  zonesdir: "${dir}"`,
      '  database: ""',
      `  pidfile: "${dir}/nsd.pid"`,
      `  xfrdfile: "${dir}/xfrd.state"`,
      `  zonelistfile: "${dir}/zone.list"`,
      `  logfile: "${dir}/nsd.log"`,
      '  rrl-ratelimit: 0',
      '  rrl-whitelist-ratelimit: 0',
      'remote-control:',
      '  control-enable: no',
      'zone:',
      '  name: cluster',
      '  zonefile: cluster.zone',
      '',
    ].join('\n'),
  );
  const child = spawn('taskset', ['-c', '0', 'nsd', '-d', '-c', conf], { stdio: 'ignore' });
  children.push(child);
  for (let i = 0; i < 100; i++) {
    const ok = await udpAsk(port, buildQuery('cluster', 6), 200).then(() => true, () => false);
    if (ok) return { port, pid: child.pid! };
  }
  throw new Error('nsd did not start');
}

/** Both Maestros and NSD give the same rcode and the same answer set for every query of the file. */
async function checkSameAnswers(): Promise<void> {
  const types: Record<string, number> = { A: 1, SRV: 33 };
  const lines = queryFile(data, 'cluster').trim().split('\n');
  for (const line of lines) {
    const [name, type] = line.split(' ') as [string, string];
    const q = buildQuery(name, types[type]!, { edns: 4096 });
    const [a, b, c] = await Promise.all([udpAsk(maestroPort, q), udpAsk(nsdPort, q), udpAsk(maestroNode.port, q)]).then((r) => r.map(decode));
    const norm = (d: ReturnType<typeof decode>) => `${d.rcode} ${d.answer.map((x) => x.data).sort().join(',')}`;
    if (norm(a!) !== norm(b!)) throw new Error(`answers differ for ${line}: maestro ${norm(a!)} / nsd ${norm(b!)}`);
    if (norm(c!) !== norm(b!)) throw new Error(`answers differ for ${line}: maestro-node ${norm(c!)} / nsd ${norm(b!)}`);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
