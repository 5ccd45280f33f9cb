/**
 * Several builds of the Maestro L7 proxy against the same backends, in turn, round after round
 * (the order reversed every other round): on a shared machine, only side-by-side runs tell whether
 * a change helped. Prints the median req/s and CPU µs per request of each build.
 *
 *   node .build/<you>/bench/proxy/compare.js [--rounds 5] [--duration 3] <label>=<build dir> …
 *
 * A build dir is a tsc output dir holding bench/proxy/maestro-server.js (and a node_modules reachable
 * from it). Needs Debian's `wrk`, `haproxy` and `taskset`; the proxies run on core 0, wrk and the
 * backends on core 1, as in run.ts. Not run by CI.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { freePorts, median, runWrk, type WrkResult } from './wrk.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string', default: '5' }, duration: { type: 'string', default: '3' } },
});
const builds = positionals.map((p) => {
  const eq = p.indexOf('=');
  if (eq <= 0) throw new Error(`expected <label>=<build dir>, got "${p}"`);
  return { label: p.slice(0, eq), dir: resolve(p.slice(eq + 1)) };
});

const dir = mkdtempSync(join(tmpdir(), 'maestro-bench-compare-'));
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));

function start(cpu: number, cmd: string, args: string[]): ChildProcess {
  const child = spawn('taskset', ['-c', String(cpu), cmd, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  return child;
}

const backends = await freePorts(3);
const config = join(dir, 'backends.cfg');
writeFileSync(
  config,
  `global\n  nbthread 1\n  maxconn 4000\ndefaults\n  timeout connect 2s\n  timeout client 30s\n  timeout server 30s\n` +
    `frontend backends\n  mode http\n${backends.map((p) => `  bind 127.0.0.1:${p}\n`).join('')}` +
    `  http-request return status 200 content-type text/plain string "hello from a backend\\n"\n`,
);
start(1, 'haproxy', ['-db', '-f', config]);
await new Promise((r) => setTimeout(r, 500));

const l4Ports = await freePorts(builds.length);
const subjects = await Promise.all(
  builds.map(async (b, i) => {
    const child = start(0, process.execPath, [join(b.dir, 'bench/proxy/maestro-server.js'), backends.join(','), String(l4Ports[i])]);
    const port = await new Promise<number>((ok, fail) => {
      child.stdout!.once('data', (d: Buffer) => ok(JSON.parse(String(d)).http));
      child.once('exit', (code) => fail(new Error(`${b.label} exited with ${code}`)));
    });
    return { ...b, port, pid: child.pid!, results: [] as WrkResult[] };
  }),
);

const HOST = 'web.service.cluster';
for (const s of subjects) await runWrk(s.port, HOST, 2, 50); // warm-up (JIT, pools)
for (let round = 0; round < Number(values.rounds); round++) {
  for (const s of round % 2 === 0 ? subjects : [...subjects].reverse()) {
    const r = await runWrk(s.port, HOST, Number(values.duration), 50, s.pid);
    s.results.push(r);
    console.log(`  round ${round + 1} ${s.label.padEnd(16)} ${r.rps.toFixed(0).padStart(7)} req/s  ${r.cpuUsPerReq.toFixed(1).padStart(5)} µs CPU/req`);
  }
}
console.log('\nmedians:');
for (const s of subjects) {
  const rps = median(s.results.map((r) => r.rps));
  const cpu = median(s.results.map((r) => r.cpuUsPerReq));
  console.log(`  ${s.label.padEnd(16)} ${rps.toFixed(0).padStart(7)} req/s  ${cpu.toFixed(1).padStart(5)} µs CPU/req`);
}
for (const c of children) c.stdin?.end();
process.exit(0);
