/**
 * The API at cluster scale (issue #17's goals): 1,000 hosts, 2,000 jobs, 50,000 allocations with
 * their statuses, written straight into the store (seed.ts) — the embedded one, in the server's
 * process, or a real etcd started and written here — and the API server in a child process pinned to one core (`taskset -c 1`; run this parent as
 * `taskset -c 0 node …` so the load generator and etcd stay off it). Prints, beside the goals:
 *   - GET /v1/jobs?limit=100: p50 with one client, and requests/s with 16 connections;
 *   - GET /v1/jobs/:name and /v1/allocations?job=…: p50 with one client;
 *   - a blocking query's wake-up: from sending a write (a scale through the API) to the held
 *     `GET /v1/jobs/:name?index=…` answering;
 *   - the memory the state view holds (heap after a GC, before and after its first sync).
 * Every phase is bounded in time (SECONDS) and count. Usage:
 *   taskset -c 0 node .build/x/bench/api/scale.js [embedded|etcd] [seconds-per-phase]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { EtcdServer, requireEtcdBinary } from '../../test/catalog/support/etcd.js';
import { createEtcdCatalog } from '../../src/catalog/etcd/index.js';
import { silentLogger } from '../../src/log/index.js';
import { keys } from '../../src/state/index.js';
import { seed } from './seed.js';

const store = process.argv[2] === 'etcd' ? 'etcd' : 'embedded';
const SECONDS = Number(process.argv[3] ?? 3);
const MAX_REQUESTS = 200_000;

const etcd = store === 'etcd' ? await EtcdServer.start(requireEtcdBinary()) : undefined;
// An etcd is written from here, as agents and the scheduler would write it, so the server's process
// does only what a server does (README.md, "Why the etcd figures were worse"). SCALE_SEED_IN_SERVER=1
// seeds from the server's process instead, as before.
let seededMs: number | undefined;
if (etcd && !process.env.SCALE_SEED_IN_SERVER) {
  const writer = createEtcdCatalog({ endpoints: [etcd.endpoint], hostName: 'bench-seed', logger: silentLogger });
  try {
    seededMs = await seed(writer);
  } finally {
    await writer.close();
  }
}
const child = spawn('taskset', ['-c', '1', process.execPath, '--expose-gc', '--max-old-space-size=4096', ...(process.env.SCALE_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SCALE_PROF}`] : []), ...(process.env.SCALE_NODE_FLAGS?.split(' ').filter(Boolean) ?? []), fileURLToPath(new URL('./scale-server.js', import.meta.url)), store, ...(etcd ? [etcd.endpoint] : []), ...(seededMs !== undefined ? [String(seededMs)] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
const info = await new Promise<{ port: number; seedMs: number; viewBytes: number; rss: number; hasView: boolean }>((resolve, reject) => {
  child.once('exit', (code) => reject(new Error(`server exited (${code})`)));
  // The first JSON line is the server's report; anything else it prints (e.g. --trace-gc) goes to stderr.
  createInterface({ input: child.stdout! }).on('line', (line) => (line.startsWith('{"port"') ? resolve(JSON.parse(line)) : process.stderr.write(`${line}\n`)));
});
const base = `http://127.0.0.1:${info.port}`;
const pool = new Pool(base, { connections: 16 });

async function get(path: string): Promise<{ status: number; index: number; body: string }> {
  const res = await pool.request({ method: 'GET', path, headersTimeout: 60_000, bodyTimeout: 60_000 });
  const body = await res.body.text();
  return { status: res.statusCode, index: Number(res.headers['x-maestro-index'] ?? 0), body };
}

/** The server's CPU time so far (ms), from /proc: on a shared machine, wall-clock rates lie; this does not. */
function serverCpuMs(): number {
  const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
}

/** CPU ms per request of the last phase. */
let cpuPerRequest = 0;

/** p50 with one request at a time, for SECONDS (at most MAX_REQUESTS). */
async function latency(path: string): Promise<number> {
  const cpu = serverCpuMs();
  const times: number[] = [];
  const end = Date.now() + SECONDS * 1000;
  while (Date.now() < end && times.length < MAX_REQUESTS) {
    const t = performance.now();
    const r = await get(path);
    if (r.status !== 200) throw new Error(`${path}: ${r.status} ${r.body.slice(0, 200)}`);
    times.push(performance.now() - t);
  }
  cpuPerRequest = (serverCpuMs() - cpu) / times.length;
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** Requests/s with 16 connections, for SECONDS. */
async function throughput(path: string): Promise<number> {
  let done = 0;
  const cpu = serverCpuMs();
  const started = performance.now();
  const end = Date.now() + SECONDS * 1000;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (Date.now() < end && done < MAX_REQUESTS) {
      const r = await get(path);
      if (r.status !== 200) throw new Error(`${path}: ${r.status}`);
      done++;
    }
  }));
  cpuPerRequest = (serverCpuMs() - cpu) / done;
  return (done / (performance.now() - started)) * 1000;
}

/**
 * From a change to the held blocking read answering; median of 20. On etcd the change is a status
 * written here straight into etcd, timed from its acknowledgement (the change exists from then on);
 * the embedded store lives in the server, so there the change is a scale sent through the API, timed
 * from sending it (its cost included: an upper bound).
 */
async function wakeUp(): Promise<number | undefined> {
  if (!info.hasView) return undefined;
  const writer = etcd ? createEtcdCatalog({ endpoints: [etcd.endpoint], hostName: 'bench-writer', logger: silentLogger }) : undefined;
  const times: number[] = [];
  try {
    for (let i = 0; i < 20; i++) {
      const { index } = await get('/v1/jobs/job-7');
      const held = get(`/v1/jobs/job-7?index=${index}&wait=30s`).then(() => performance.now());
      await new Promise((r) => setTimeout(r, 20)); // let the read arrive and be held
      if (writer) {
        const id = 'job-7-0-x';
        await writer.kvPut(keys.allocStatus('h175', id), JSON.stringify({ allocId: id, state: 'running', containerIds: ['c'], healthy: true, healthySince: 1, updatedAt: Date.now() + i }));
        const acked = performance.now();
        times.push((await held) - acked);
      } else {
        const sent = performance.now();
        const write = pool.request({ method: 'POST', path: '/v1/jobs/job-7/scale', body: JSON.stringify({ count: 25 + (i % 2) }), headers: { 'content-type': 'application/json' } });
        times.push((await held) - sent);
        await (await write).body.text();
      }
    }
  } finally {
    await writer?.close();
  }
  times.sort((a, b) => a - b);
  return times[10];
}

const f = (n: number | undefined, unit: string, digits = 2) => (n === undefined ? '—' : `${n.toFixed(digits)} ${unit}`);
try {
  const rows: [string, string, string][] = [];
  const cpu = () => `${cpuPerRequest.toFixed(3)} ms CPU/req`;
  rows.push(['GET /v1/jobs?limit=100 p50 (1 client)', `${f(await latency('/v1/jobs?limit=100'), 'ms')}, ${cpu()}`, '≤ 2 ms']);
  const rate = await throughput('/v1/jobs?limit=100');
  rows.push(['GET /v1/jobs?limit=100 (16 connections)', `${f(rate, 'req/s', 0)}, ${cpu()}`, '≥ 5,000 req/s']);
  rows.push(['  the same, as one core\'s capacity (1 s / CPU per req)', f(1000 / cpuPerRequest, 'req/s', 0), '≥ 5,000 req/s']);
  rows.push(['GET /v1/jobs/:name p50', `${f(await latency('/v1/jobs/job-1234'), 'ms')}, ${cpu()}`, '≤ 1 ms']);
  rows.push(['GET /v1/allocations?job=… p50', `${f(await latency('/v1/allocations?job=job-1234'), 'ms')}, ${cpu()}`, '≤ 1 ms']);
  rows.push(['blocking query wake-up after a write (median)', f(await wakeUp(), 'ms'), '≤ 10 ms']);
  rows.push(['state view memory (heap)', info.hasView ? `${(info.viewBytes / 2 ** 20).toFixed(0)} MB` : '—', '≤ 300 MB']);
  rows.push(['server RSS after start', `${(info.rss / 2 ** 20).toFixed(0)} MB`, '']);
  console.log(`store ${store}: 1,000 hosts, 2,000 jobs, 50,000 allocations (+ statuses), seeded in ${(info.seedMs / 1000).toFixed(1)} s; API on one core; ${SECONDS} s per phase`);
  for (const [what, value, goal] of rows) console.log(`  ${what.padEnd(54)} ${value.padStart(32)}   goal ${goal}`);
} finally {
  await pool.close();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await etcd?.stop();
}
