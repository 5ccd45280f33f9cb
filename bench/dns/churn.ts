/**
 * A large, busy catalog, as `maestro up` holds it: the embedded catalog, the DNS server and the
 * proxy on ONE event loop, 10,000 instances in 1,000 services, 100 instance changes per second
 * (health flips). Prints, side by side with the goals:
 *
 * - change-to-answer latency: from the catalog acknowledging a change (setHealth resolved) to the
 *   DNS server answering it over UDP and the L7 proxy routing it (a probe service whose one instance
 *   is a local HTTP backend flips between passing → 200 and critical → 503), p50/p99/max;
 * - event-loop delay during the churn (perf_hooks.monitorEventLoopDelay, 1 ms resolution): p99, max;
 * - memory: resident size (RSS), V8 heap used/total and external memory after loading the catalog,
 *   and with 10,000 instances AND `--connections` (default 1,000) idle keep-alive connections open
 *   through the L7 proxy (sampled through the churn: its peak and its end), beside issue 16's goal of
 *   150 MB. The backend, the connections' client side and the prober run in their own processes
 *   (`peers.ts`), so the process measured holds what `maestro up` would: catalog, DNS server, proxy.
 *   The prober stamps what it sees on CLOCK_MONOTONIC (process.hrtime), which every process shares.
 * With `--load`, dnsperf and wrk run against the same process during the churn (bounded by the
 * churn's duration). `--build DIR` loads Maestro from another build (e.g. the one before a change)
 * for a before/after run with the same script.
 *
 * Run with `node --expose-gc` it also prints the memory after a forced full collection at the end.
 *
 *   node .build/<you>/bench/dns/churn.js [--quick] [--seconds 20] [--instances 10000] [--services 1000] [--rate 100]
 *     [--connections 1000] [--load] [--build DIR] [--heap-prof FILE]
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { ServiceInstance } from '../../src/catalog/types.js';
import { heapProfile, MB, memory, ms, pct, peer, startProber, watchGc } from './churn-watch.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    instances: { type: 'string', default: '10000' },
    services: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '100' },
    connections: { type: 'string', default: '1000' },
    load: { type: 'boolean', default: false },
    build: { type: 'string' },
    'heap-prof': { type: 'string' },
  },
});
const seconds = Number(values.seconds ?? (values.quick ? 4 : 20));
const total = Number(values.instances);
const services = Number(values.services);
const rate = Number(values.rate);
const connections = Number(values.connections);
const root = values.build ? resolve(values.build) : join(import.meta.dirname, '..', '..');

const { createEmbeddedCatalog } = (await import(join(root, 'src/catalog/embedded/index.js'))) as typeof import('../../src/catalog/embedded/index.js');
const { startDnsServer } = (await import(join(root, 'src/dns/index.js'))) as typeof import('../../src/dns/index.js');
const { startProxy } = (await import(join(root, 'src/proxy/index.js'))) as typeof import('../../src/proxy/index.js');

const GOAL_MB = 150;

// A backend for the probe service (its own process): the proxy's answer tells whether its route has the instance.
const backend = await peer('backend');
const backendPort = Number(backend.line);

const catalog = createEmbeddedCatalog({});
const instances: ServiceInstance[] = [];
for (let n = 0; n < total; n++) {
  const s = n % services;
  instances.push({
    id: `node-${n % 100}:c${n}:80`,
    service: `svc${s}`,
    name: `svc${s}-${Math.floor(n / services)}`,
    host: `node-${n % 100}`,
    address: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
    port: 80,
    tags: [],
    meta: {},
    health: 'passing',
  });
}
const probe: ServiceInstance = { id: 'probe:c0:80', service: 'probe', name: 'probe-0', host: 'probe', address: '127.0.0.1', port: backendPort, tags: [], meta: {}, health: 'passing' };
for (const i of [...instances, probe]) await catalog.registerInstance(i);

let started = performance.now();
const dns = await startDnsServer({ catalog, addr: { host: '127.0.0.1', port: 0 } });
const proxy = await startProxy({ catalog, httpAddr: '127.0.0.1:0', firstSyncMs: 60_000 });
await dns.synced();
console.log(`loaded ${total} instances in ${services} services; DNS ${dns.table()?.names.size} names; first sync ${ms(performance.now() - started)}; ${memory()}`);
const dnsPort = dns.address().port;
const httpPort = proxy.httpAddress().port;

// The prober (its own process): told what to expect after each change, it polls both data paths.
const prober = await startProber(dnsPort, httpPort, 'probe.service.cluster');
// Wait for the tables to settle after the cold build (the first update after it may be spaced).
await prober.observe(true, process.hrtime.bigint());

// Idle keep-alive connections through the L7 proxy, held open by another process during the churn.
const held = connections > 0 ? await peer('hold', String(httpPort), 'probe.service.cluster', String(connections)) : undefined;
if (held) console.log(`${held.line} idle keep-alive connections through the L7 proxy; ${memory()}`);

const load: ReturnType<typeof spawn>[] = [];
if (values.load) {
  const qfile = join(tmpdir(), `maestro-churn-${process.pid}.txt`);
  writeFileSync(qfile, Array.from({ length: services }, (_, s) => `svc${s}.service.cluster A`).join('\n') + '\n');
  load.push(spawn('dnsperf', ['-s', '127.0.0.1', '-p', String(dnsPort), '-d', qfile, '-l', String(seconds), '-q', '50'], { stdio: 'ignore' }));
  load.push(spawn('wrk', ['-t1', '-c20', `-d${seconds}s`, '-H', 'Host: probe.service.cluster', `http://127.0.0.1:${httpPort}/`], { stdio: 'ignore' }));
}

// --heap-prof FILE: what the churn promoted (churn-watch.ts).
const heapProf = values['heap-prof'] ? await heapProfile(values['heap-prof']) : undefined;
const gcPauses = watchGc();
const eld = monitorEventLoopDelay({ resolution: 1 });
eld.enable();
const dnsLat: number[] = [];
const httpLat: number[] = [];
let changes = 0;
let probeHealthy = true;
const stopAt = performance.now() + seconds * 1_000;
const cpuAtStart = process.cpuUsage();
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
// Background churn: `rate` health flips per second over random instances.
const churn = setInterval(() => {
  for (let k = 0; k < Math.max(1, Math.round(rate / 100)); k++) {
    const i = instances[(Math.random() * instances.length) | 0]!;
    i.health = i.health === 'passing' ? 'critical' : 'passing';
    void catalog.setHealth(i.id, i.health).then(() => changes++);
  }
}, 10);
// Measured changes: the probe flips, then both data paths are polled until they show it.
while (performance.now() < stopAt) {
  probeHealthy = !probeHealthy;
  await catalog.setHealth(probe.id, probeHealthy ? 'passing' : 'critical');
  const [d, h] = await prober.observe(probeHealthy, process.hrtime.bigint());
  dnsLat.push(d);
  httpLat.push(h);
  await new Promise((r) => setTimeout(r, 50));
}
clearInterval(churn);
clearInterval(sampler);
gcPauses.stop();
await heapProf?.stop();
const cpu = process.cpuUsage(cpuAtStart);
eld.disable();
for (const p of load) p.kill();
started = performance.now();

console.log(`churn: ${changes} background changes in ${seconds} s (${(changes / seconds).toFixed(0)}/s), ${dnsLat.length} measured changes${values.load ? ', under dnsperf + wrk' : ''}`);
console.log(`change → DNS answer:   p50 ${ms(pct(dnsLat, 50))}  p99 ${ms(pct(dnsLat, 99))}  max ${ms(Math.max(...dnsLat))}   (goal p99 ≤ 10 ms: ${pct(dnsLat, 99) <= 10 ? 'met' : 'not met'})`);
console.log(`change → L7 route:     p50 ${ms(pct(httpLat, 50))}  p99 ${ms(pct(httpLat, 99))}  max ${ms(Math.max(...httpLat))}   (goal p99 ≤ 10 ms: ${pct(httpLat, 99) <= 10 ? 'met' : 'not met'})`);
const eldMax = eld.max / 1e6;
console.log(`CPU of this process during the churn: ${((cpu.user + cpu.system) / 1e3 / seconds / 10).toFixed(0)}% of one core`);
console.log(`event-loop delay:      p50 ${ms(eld.percentile(50) / 1e6)}  p99 ${ms(eld.percentile(99) / 1e6)}  max ${ms(eldMax)}   (goal: no stall > 5 ms: ${eldMax <= 5 ? 'met' : 'not met'})`);
console.log(`GC during the churn:   ${gcPauses.summary()}`);
const rss = process.memoryUsage().rss;
const goal = (x: number) => (x / MB <= GOAL_MB ? 'met' : 'not met');
console.log(`memory after churn, ${total} instances + ${held ? held.line.replace('open ', '') : 0} open proxy connections: ${memory()}; peak RSS during churn ${(peakRss / MB).toFixed(0)} MB   (goal RSS ≤ ${GOAL_MB} MB: end ${goal(rss)}, peak ${goal(peakRss)})`);
// With --expose-gc: what of it is live (the rest is garbage V8 had not collected yet).
const gc = (globalThis as { gc?: () => void }).gc;
if (gc) {
  gc();
  console.log(`after a forced full collection: ${memory()}`);
}
held?.child.stdin!.end();
prober.end();
await proxy.stop();
await dns.stop();
await catalog.close();
backend.child.stdin!.end();
process.exit(0);
