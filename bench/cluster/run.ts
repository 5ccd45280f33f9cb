/**
 * Cluster-scale benchmark: a real etcd, the real `maestro server --etcd` (scheduler + API, the
 * built CLI in a child process), N simulated agents (agents.ts), and jobs totalling R replicas
 * submitted through the API. See README.md in this folder for the method and the figures.
 *
 *   node .build/<you>/bench/cluster/run.js [--hosts 1000,5000] [--replicas 100000] [--jobs 1000]
 *        [--rounds 1] [--agent-procs 2] [--submit-concurrency 8] [--timeout 300] [--quick]
 *        [--server cli|proc] [--etcd-timeout 10] [--submit-first]
 *
 * --server cli (default): the built `maestro server --etcd` in a child process, what users run.
 * --server proc: server-proc.js, the same scheduler + API with the etcd call deadline of --etcd-timeout s.
 * --submit-first: every job is submitted (through the API) before the scheduler starts; placement is
 *   timed from its start — the scheduler's and etcd's rate without the API's per-request cost.
 * --quick: 200 hosts, 5,000 replicas in 50 jobs — a smoke run of every part in well under a minute.
 */
import { parseArgs } from 'node:util';
import { cpuSeconds } from './cpu.js';
import { BenchEtcd } from './etcd.js';
import { pollPlaced, probe, retries, submitAll } from './load.js';
import { median, peakRate, percentile, table, type RunFigures } from './report.js';
import { BenchServer } from './server.js';
import { readTimeline, summarise } from './timeline.js';
import { startAgents, until, verify, type Worker } from './workers.js';

const { values: flags } = parseArgs({
  options: {
    hosts: { type: 'string' }, replicas: { type: 'string' }, jobs: { type: 'string' }, rounds: { type: 'string' },
    'agent-procs': { type: 'string' }, server: { type: 'string' }, 'etcd-timeout': { type: 'string' }, 'submit-first': { type: 'boolean' }, 'submit-concurrency': { type: 'string' }, timeout: { type: 'string' }, quick: { type: 'boolean' },
  },
});
const quick = !!flags.quick;
const hostCounts = (flags.hosts ?? (quick ? '200' : '1000,5000')).split(',').map(Number);
const replicas = Number(flags.replicas ?? (quick ? 5_000 : 100_000));
const jobs = Number(flags.jobs ?? (quick ? 50 : 1_000));
const rounds = Number(flags.rounds ?? 1);
const agentProcs = Number(flags['agent-procs'] ?? 2);
const concurrency = Number(flags['submit-concurrency'] ?? 8);
const timeoutMs = Number(flags.timeout ?? 300) * 1000;
const serverMode = (flags.server ?? 'cli') as 'cli' | 'proc';
if (serverMode !== 'cli' && serverMode !== 'proc') throw new Error('--server is cli or proc');
const etcdTimeoutMs = Number(flags['etcd-timeout'] ?? 10) * 1000;
const submitFirst = !!flags['submit-first'];
if (submitFirst && serverMode !== 'proc') throw new Error('--submit-first needs --server proc');
const PREFIX = '/bench/';

async function runOnce(hosts: number): Promise<RunFigures> {
  const etcd = await BenchEtcd.start();
  let server: BenchServer | undefined;
  let workers: Worker[] = [];
  try {
    const regStart = performance.now();
    workers = await startAgents(etcd.endpoint, PREFIX, hosts, agentProcs);
    const registerS = (performance.now() - regStart) / 1000;
    server = await BenchServer.start(etcd.endpoint, PREFIX, serverMode, etcdTimeoutMs, submitFirst);
    const srv = server;
    const deadline = Date.now() + timeoutMs;
    const stop = new AbortController();
    const samples: { at: number; placed: number }[] = [];
    const polling = pollPlaced(srv, 250, stop.signal, (at, placed) => samples.push({ at, placed }));
    const probing = probe(srv, stop.signal);
    const cpu = () => [cpuSeconds(etcd.pid), cpuSeconds(srv.pid), workers.reduce((n, w) => n + cpuSeconds(w.child.pid), 0), process.cpuUsage()];
    const cpu0 = cpu();
    retries.n = 0;
    let t0 = performance.now();
    let t0Wall = Date.now();
    let submits: { at: number; ms: number }[] = [];
    let submitEnd = 0;
    const submitStart = performance.now();
    let complete = false;
    try {
      submits = await submitAll(srv, { jobs, replicas }, concurrency, deadline).catch((err: Error) => {
        console.error(`round ended early: ${err.message}`);
        return [];
      });
      submitEnd = performance.now();
      if (submitFirst) {
        // Every job is stored: placement is timed from the scheduler's start (its election included).
        [t0, t0Wall] = [performance.now(), Date.now()];
        srv.release();
      }
      // A run past its deadline still reports how far it got (placed, rate so far), marked incomplete.
      complete = await until(`${replicas} placements`, deadline, () => (samples.at(-1)?.placed ?? 0) >= replicas).then(() => true, () => false);
      if (complete) complete = await until('every agent seeing its allocations', deadline, () => workers.reduce((n, w) => n + w.seen, 0) >= replicas).then(() => true, () => false);
    } finally {
      stop.abort();
    }
    const cpu1 = cpu();
    const used = (i: number) => (cpu1[i] as number) - (cpu0[i] as number);
    const bench = process.cpuUsage(cpu0[3] as NodeJS.CpuUsage);
    await polling;
    const latencies = await probing;
    if (complete) await verify(etcd.endpoint, PREFIX, replicas, workers);
    const placed = samples.at(-1)?.placed ?? 0;
    const committedAt = samples.find((s) => s.placed >= replicas)?.at ?? performance.now();
    const committedS = (committedAt - t0) / 1000;
    const [job, hostsL] = [...latencies.values()].map((xs) => xs.map((x) => x.ms));
    return {
      hosts, jobs, replicas, registerS,
      submitS: (submitEnd - submitStart) / 1000,
      submitP50: percentile(submits.map((s) => s.ms), 50),
      submitP99: percentile(submits.map((s) => s.ms), 99),
      committedS,
      commitRate: placed / committedS,
      placed,
      complete: complete ? 1 : 0,
      peakRate: peakRate(samples, 5_000),
      allSeenS: (Math.max(...workers.map((w) => w.lastSeenAt)) - t0Wall) / 1000,
      jobP50: percentile(job!, 50), jobP99: percentile(job!, 99),
      hostsP50: percentile(hostsL!, 50), hostsP99: percentile(hostsL!, 99),
      probes: job!.length + hostsL!.length,
      submitRetries: retries.n,
      cpuEtcd: used(0), cpuServer: used(1), cpuAgents: used(2), cpuBench: (bench.user + bench.system) / 1e6,
    };
  } finally {
    for (const w of workers) w.child.kill('SIGTERM');
    await server?.stop();
    await etcd.stop();
    // After stop: the pass in progress has ended and written its line.
    if (server && serverMode === 'proc') console.log(summarise(readTimeline(BenchServer.lastTimeline)));
  }
}

const results: RunFigures[] = [];
for (const hosts of hostCounts) {
  const runs: RunFigures[] = [];
  for (let r = 1; r <= rounds; r++) {
    const f = await runOnce(hosts);
    console.log(`round ${r}, ${hosts} hosts: ${JSON.stringify(f, (_k, v) => (typeof v === 'number' ? Math.round(v * 100) / 100 : v))}`);
    runs.push(f);
  }
  const med = Object.fromEntries(Object.keys(runs[0]!).map((k) => [k, median(runs.map((x) => x[k as keyof RunFigures]))])) as unknown as RunFigures;
  results.push(med);
}
console.log(`\nmedians of ${rounds} round(s); server: ${serverMode === 'cli' ? 'maestro server (CLI)' : `server-proc, etcd deadline ${etcdTimeoutMs / 1000} s`}${submitFirst ? ', jobs submitted first (rates from the scheduler start)' : ''}; submissions ${concurrency} in flight; ${agentProcs} simulator process(es)\n`);
console.log(table(results));
