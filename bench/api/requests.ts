/**
 * API throughput on one process: GET /v1/jobs, /v1/jobs/:name and /v1/allocations over a cluster of
 * 200 jobs × 5 replicas (1,000 allocations with statuses) in the embedded catalog, with undici at a
 * fixed concurrency. Prints requests/s, p50/p99 latency and CPU time per request (client and server
 * share the process; CPU time stays meaningful on a busy machine where wall-clock rates do not), and
 * the selector matcher's rate. Usage: node .build/x/bench/api/requests.js [seconds-per-endpoint]
 */
import { Pool } from 'undici';
import { startApi } from '../../src/api/index.js';
import { matches, parseSelector } from '../../src/api/selector.js';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import { silentLogger } from '../../src/log/index.js';
import { keys, type Allocation, type AllocStatus, type JobRecord } from '../../src/scheduler/types.js';

const SECONDS = Number(process.argv[2] ?? 3);
const CONCURRENCY = 16;
const JOBS = 200;
const REPLICAS = 5;

const catalog = createEmbeddedCatalog();
for (let j = 0; j < JOBS; j++) {
  const name = `job-${j}`;
  const record: JobRecord = {
    job: {
      name,
      count: REPLICAS,
      global: false,
      containers: [{ name, image: 'busybox', env: {}, ports: [], resources: { cpu: 100, memory: 64 } }],
      tags: [],
      labels: { tier: j % 2 ? 'frontend' : 'backend', env: j % 3 ? 'prod' : 'dev' },
      constraints: {},
      update: { maxParallel: 1, minHealthyMs: 0 },
      strategy: 'spread',
    },
    version: 1,
    submittedAt: Date.now(),
    stopped: false,
  };
  await catalog.kvPut(keys.job(name), JSON.stringify(record));
  for (let o = 0; o < REPLICAS; o++) {
    const host = `h${(j + o) % 20}`;
    const a: Allocation = { id: `${name}-${o}-x`, job: name, ordinal: o, host, jobVersion: 1, desired: 'run', createdAt: Date.now() };
    const s: AllocStatus = { allocId: a.id, state: 'running', containerIds: ['c'], healthy: true, updatedAt: Date.now() };
    await catalog.kvPut(keys.alloc(host, a.id), JSON.stringify(a));
    await catalog.kvPut(keys.allocStatus(host, a.id), JSON.stringify(s));
  }
}

const api = await startApi({ catalog, addr: { host: '127.0.0.1', port: 0 }, logger: silentLogger, processMetrics: false });
const pool = new Pool(`http://127.0.0.1:${api.address().port}`, { connections: CONCURRENCY });

async function load(path: string): Promise<void> {
  const latencies: number[] = [];
  const cpu = process.cpuUsage();
  const end = Date.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < end) {
        const t = performance.now();
        const res = await pool.request({ method: 'GET', path });
        await res.body.text();
        if (res.statusCode !== 200) throw new Error(`${path}: ${res.statusCode}`);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  const cpuUs = (used.user + used.system) / latencies.length;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!.toFixed(2);
  console.log(`${path.padEnd(40)} ${(latencies.length / SECONDS).toFixed(0).padStart(6)} req/s   p50 ${q(0.5)} ms   p99 ${q(0.99)} ms   cpu ${(cpuUs / 1000).toFixed(2)} ms/req`);
}

console.log(`${JOBS} jobs, ${JOBS * REPLICAS} allocations, ${CONCURRENCY} connections, ${SECONDS}s each`);
for (const path of ['/healthz', '/v1/jobs', '/v1/jobs?selector=tier%3Dfrontend,env!%3Ddev', '/v1/jobs/job-7', '/v1/allocations']) {
  await load(path);
}

const selector = parseSelector('tier=frontend,env in (prod,staging),!legacy');
const labels = { tier: 'frontend', env: 'prod', app: 'web' };
const n = 1_000_000;
const t = performance.now();
let hits = 0;
for (let i = 0; i < n; i++) if (matches(selector, labels)) hits++;
console.log(`selector match: ${((n / (performance.now() - t)) * 1000 / 1e6).toFixed(1)} M/s (${hits === n ? 'ok' : 'WRONG'})`);

await pool.close();
await api.stop();
await catalog.close();
