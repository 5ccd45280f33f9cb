/**
 * wrk through Maestro's L7 and L4 proxies and through HAProxy (HTTP and TCP mode) in front of the
 * same three backends, alternating rounds; prints median req/s, median p99 and the ratios.
 *
 *   node .build/<you>/bench/proxy/run.js [--rounds 3] [--duration 5] [--connections 50] [--policy least-in-flight]
 *     [--only maestro-l7,haproxy-http] [--cpu-prof <dir>]
 *
 * `--only` runs a subset of the subjects; `--cpu-prof` writes a V8 CPU profile of the Maestro process
 * into <dir> (open it in Chrome DevTools, or summarise it with profile-summary.js).
 *
 * `undici-bare`, `http-proxy` and `net-pipe` (baseline-server.ts) show the floor of the Node stack and
 * the design's first L7 library, for context.
 * Needs Debian's `wrk`, `haproxy` and `taskset`. The proxy under test runs on core 0; wrk and the
 * backends (one HAProxy process answering `http-request return`, so they are never the bottleneck)
 * on core 1. Not run by CI.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePorts, median, runWrk, type WrkResult } from './wrk.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '50' },
    policy: { type: 'string', default: 'least-in-flight' },
    only: { type: 'string' },
    'cpu-prof': { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const duration = Number(values.duration);
const connections = Number(values.connections);

const dir = mkdtempSync(join(tmpdir(), 'maestro-bench-proxy-'));
const children: ChildProcess[] = [];
const cleanup = () => {
  for (const c of children) c.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
};
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

function start(cpu: number, cmd: string, args: string[]): ChildProcess {
  const child = spawn('taskset', ['-c', String(cpu), cmd, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  return child;
}

async function haproxy(name: string, cpu: number, config: string): Promise<number> {
  const file = join(dir, `${name}.cfg`);
  writeFileSync(file, config);
  const child = start(cpu, 'haproxy', ['-db', '-f', file]);
  await new Promise((r) => setTimeout(r, 500));
  return child.pid!;
}

const GLOBAL = `global\n  nbthread 1\n  maxconn 4000\ndefaults\n  timeout connect 2s\n  timeout client 30s\n  timeout server 30s\n`;

const [b1, b2, b3, haHttp, haTcp, mL4] = await freePorts(6);
const backends = [b1, b2, b3];
await haproxy(
  'backends',
  1,
  `${GLOBAL}frontend backends\n  mode http\n${backends.map((p) => `  bind 127.0.0.1:${p}\n`).join('')}  http-request return status 200 content-type text/plain string "hello from a backend\\n"\n`,
);
const servers = backends.map((p, i) => `  server s${i} 127.0.0.1:${p}\n`).join('');
const haHttpPid = await haproxy(
  'haproxy-http',
  0,
  `${GLOBAL}frontend fe\n  mode http\n  bind 127.0.0.1:${haHttp}\n  default_backend be\nbackend be\n  mode http\n  balance leastconn\n  http-reuse always\n${servers}`,
);
const haTcpPid = await haproxy('haproxy-tcp', 0, `${GLOBAL}listen tcp\n  mode tcp\n  bind 127.0.0.1:${haTcp}\n  balance leastconn\n${servers}`);

const here = fileURLToPath(new URL('.', import.meta.url));
async function nodeSubject(script: string, args: string[], nodeArgs: string[] = []): Promise<{ child: ChildProcess; http: number; l4: number; httpProxy?: number }> {
  const child = start(0, process.execPath, [...nodeArgs, join(here, script), ...args]);
  const ports = await new Promise<{ http: number; l4: number; httpProxy?: number }>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(JSON.parse(String(d))));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return { child, ...ports };
}
const profDir = values['cpu-prof'];
const maestro = await nodeSubject('maestro-server.js', [backends.join(','), String(mL4), values.policy!], profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []);
const baseline = await nodeSubject('baseline-server.js', [backends.join(',')]);

const HOST = 'web.service.cluster';
// `undici-bare` / `http-proxy` / `net-pipe`: the floor of the Node stack and the design's first L7
// library (baseline-server.ts), for context.
const allSubjects: Record<string, { port: number; pid: number }> = {
  'maestro-l7': { port: maestro.http, pid: maestro.child.pid! },
  'haproxy-http': { port: haHttp, pid: haHttpPid },
  'undici-bare': { port: baseline.http, pid: baseline.child.pid! },
  'http-proxy': { port: baseline.httpProxy!, pid: baseline.child.pid! },
  'maestro-l4': { port: maestro.l4, pid: maestro.child.pid! },
  'haproxy-tcp': { port: haTcp, pid: haTcpPid },
  'net-pipe': { port: baseline.l4, pid: baseline.child.pid! },
};
const only = values.only?.split(',');
const subjects = only ? Object.fromEntries(Object.entries(allSubjects).filter(([k]) => only.includes(k))) : allSubjects;
const results: Record<string, WrkResult[]> = Object.fromEntries(Object.keys(subjects).map((k) => [k, []]));

console.log(`proxy bench: ${rounds} rounds × ${duration}s, ${connections} connections, policy ${values.policy}; proxies on core 0, wrk + backends on core 1`);
for (const name of Object.keys(subjects)) await runWrk(subjects[name].port, HOST, 2, connections); // warm-up (JIT, pools)
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? Object.keys(subjects) : Object.keys(subjects).reverse();
  for (const name of order) {
    const r = await runWrk(subjects[name].port, HOST, duration, connections, subjects[name].pid);
    results[name].push(r);
    console.log(
      `  round ${round + 1} ${name.padEnd(13)} ${r.rps.toFixed(0).padStart(7)} req/s  p99 ${r.p99Ms.toFixed(2).padStart(7)} ms  ${r.cpuUsPerReq.toFixed(1).padStart(5)} µs CPU/req  errors ${r.errors}`,
    );
  }
}

const med = (name: string) => ({
  rps: median(results[name].map((r) => r.rps)),
  p99: median(results[name].map((r) => r.p99Ms)),
  cpu: median(results[name].map((r) => r.cpuUsPerReq)),
});
console.log('\nmedians:');
for (const name of Object.keys(subjects)) {
  const m = med(name);
  console.log(`  ${name.padEnd(13)} ${m.rps.toFixed(0).padStart(7)} req/s  p99 ${m.p99.toFixed(2).padStart(7)} ms  ${m.cpu.toFixed(1).padStart(5)} µs CPU/req (≈ ${(1e6 / m.cpu).toFixed(0)} req/s per core)`);
}
// On a busy shared machine throughput mostly measures the neighbours; CPU per request does not.
const has = (...names: string[]) => names.every((n) => n in subjects);
if (has('maestro-l7', 'haproxy-http')) {
  const l7 = med('maestro-l7').rps / med('haproxy-http').rps;
  console.log(`\nratio L7 maestro/haproxy-http: ${l7.toFixed(2)} (target ≥ 0.50) ${l7 >= 0.5 ? 'ok' : 'BELOW TARGET'}`);
  console.log(`CPU-efficiency ratio L7 (haproxy µs / maestro µs per request): ${(med('haproxy-http').cpu / med('maestro-l7').cpu).toFixed(2)}`);
}
if (has('maestro-l4', 'haproxy-tcp')) {
  const l4 = med('maestro-l4').rps / med('haproxy-tcp').rps;
  console.log(`ratio L4 maestro/haproxy-tcp:  ${l4.toFixed(2)} (target ≥ 0.90) ${l4 >= 0.9 ? 'ok' : 'BELOW TARGET'}`);
  console.log(`CPU-efficiency ratio L4 (haproxy µs / maestro µs per request): ${(med('haproxy-tcp').cpu / med('maestro-l4').cpu).toFixed(2)}`);
}
if (has('maestro-l7', 'undici-bare')) console.log(`context: maestro-l7/undici-bare ${(med('maestro-l7').rps / med('undici-bare').rps).toFixed(2)}`);
if (has('maestro-l7', 'http-proxy')) console.log(`context: maestro-l7/http-proxy ${(med('maestro-l7').rps / med('http-proxy').rps).toFixed(2)} (CPU per request ${(med('http-proxy').cpu / med('maestro-l7').cpu).toFixed(2)}×)`);
if (has('maestro-l4', 'net-pipe')) console.log(`context: maestro-l4/net-pipe ${(med('maestro-l4').rps / med('net-pipe').rps).toFixed(2)}`);
maestro.child.stdin!.end();
baseline.child.stdin!.end();
// The CPU profile is written when the Maestro process exits: wait for it.
if (profDir) await new Promise((r) => maestro.child.once('exit', r));
process.exit(0);
