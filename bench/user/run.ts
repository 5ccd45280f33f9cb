/**
 * Maestro measured as users run it: the built `maestro up` (default flags; see maestro-up.ts) pinned
 * to core 0, three HTTP backends in containers registered by its registrar (internal addresses, an L4
 * listener asked for by label), HAProxy in front of the same containers on core 0 too, wrk on core 1
 * (with the backends). L7 and L4, keep-alive and a new connection per request, alternating rounds;
 * prints the medians side by side with the ratios, the goals of issue 16, and the resident size of
 * `maestro up` idle and under load.
 *
 *   node .build/<you>/bench/user/run.js [--quick] [--rounds 3] [--duration 5] [--connections 50]
 *
 * Bounded: every run has a fixed duration, the whole bench a deadline; its containers, processes and
 * temp dirs are removed on exit, failure and Ctrl-C. Needs Docker, wrk, haproxy, taskset, dig.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { eventually } from '../../test/support/wait.js';
import { freePorts } from '../proxy/wrk.js';
import { ensureBackendImage, removeBackendsSync, startBackends } from './backends.js';
import { startHaproxy } from './haproxy.js';
import { heapFigures, rssMb, startMaestroUp, type MaestroUp } from './maestro-up.js';
import { measure, report, type Subject } from './rounds.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    connections: { type: 'string', default: '50' },
  },
});
const rounds = Number(values.rounds ?? (values.quick ? 1 : 3));
const seconds = Number(values.duration ?? (values.quick ? 2 : 5));
const connections = Number(values.connections);
const warmupSeconds = values.quick ? 1 : 2;

const id = randomBytes(3).toString('hex');
const host = `bench-user-${id}`;
const service = `ub${id}`;
const dir = mkdtempSync(join(tmpdir(), 'maestro-bench-user-'));
let up: MaestroUp | undefined;
let stopHaproxy = () => {};
process.on('exit', () => {
  // Each step alone: one that throws (a process already gone) must not skip the others.
  for (const step of [() => removeBackendsSync(id), stopHaproxy, () => up?.kill(), () => rmSync(dir, { recursive: true, force: true })]) {
    try {
      step();
    } catch {
      // already gone
    }
  }
});
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));
// 8 runs a round plus warm-ups and set-up; wrk's own timeout bounds each run.
const boundMs = (rounds + 1) * 8 * (seconds + 30) * 1_000 + 180_000;
setTimeout(() => {
  console.error(`user bench: over its ${boundMs / 1000} s bound, giving up`);
  process.exit(1);
}, boundMs).unref();

const load0 = loadavg();
await ensureBackendImage();
const [l4Port, haHttp, haTcp] = await freePorts(3);
up = await startMaestroUp({ dataDir: join(dir, 'data'), host, cpu: 0 });
const ips = await startBackends({ scope: id, host, service, l4Port: l4Port!, count: 3, cpus: '1' });
const name = `${service}.service.cluster`;
const [dnsHost, dnsPort] = up.addresses.dns!.split(':');
const httpPort = Number(up.addresses.http!.split(':')[1]);

// Registered: DNS answers the three container addresses, and both proxies route to them.
const want = [...ips].sort().join(',');
await eventually(async () => (await dig(dnsHost!, dnsPort!, name)).sort().join(',') === want, 30_000, `DNS to answer ${want}`);
await eventually(async () => (await status(httpPort, name)) === 200, 30_000, 'the L7 proxy to route');
await eventually(async () => (await status(l4Port!, name)) === 200, 30_000, 'the L4 listener to relay');
const haproxy = await startHaproxy({ dir, cpu: 0, httpPort: haHttp!, tcpPort: haTcp!, backends: ips });
stopHaproxy = haproxy.stop;

const idleRss = rssMb(up.pid);
const idleHeap = await heapFigures(up.addresses.api!);
const subjects: Subject[] = [
  { name: 'maestro-l7', port: httpPort, pid: up.pid, maestro: true },
  { name: 'haproxy-http', port: haHttp!, pid: haproxy.pid },
  { name: 'maestro-l4', port: l4Port!, pid: up.pid, maestro: true },
  { name: 'haproxy-tcp', port: haTcp!, pid: haproxy.pid },
];
console.log(
  `user bench: maestro up (pid ${up.pid}) and haproxy on core 0, wrk and 3 backend containers on core 1; ` +
    `${rounds} round(s) × ${seconds} s, ${connections} connections; native addons ${JSON.stringify(up.startup()?.native ?? '?')}`,
);
console.log(`load average at start ${load0.map((l) => l.toFixed(2)).join(' ')}`);
const logBytes0 = up.logBytes();
const results = await measure({ subjects, host: name, rounds, seconds, warmupSeconds, connections, rssPid: up.pid });
report(results);
console.log(
  `\nmaestro up resident size: idle ${idleRss.toFixed(1)} MB, under load max ${results.maxRss.toFixed(1)} MB, ` +
    `after load ${rssMb(up.pid).toFixed(1)} MB (issue 16 asks ≤ 150 MB with 10,000 instances and 1,000 connections; not failed on)`,
);
console.log(`maestro up heap: idle ${idleHeap}; after load ${await heapFigures(up.addresses.api!)}`);
const logged = [...up.messages()].map(([msg, n]) => `${n}× "${msg}"`).join(', ');
console.log(`maestro up log written during the load: ${((up.logBytes() - logBytes0) / 1024).toFixed(1)} KB (default --access-log errors); all its lines: ${logged}`);
console.log(`load average at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
await up.stop();
process.exit(0);

async function dig(server: string, port: string, qname: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)('dig', [`@${server}`, '-p', port, qname, 'A', '+short', '+time=1', '+tries=1']);
  return stdout.split('\n').filter(Boolean);
}

/** The status of one GET with this Host header (node:http: fetch replaces Host). */
function status(port: number, hostHeader: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { host: hostHeader }, agent: false, timeout: 2_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 2 s')));
    req.on('error', reject);
    req.end();
  });
}
