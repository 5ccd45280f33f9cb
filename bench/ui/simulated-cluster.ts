/**
 * A simulated cluster behind a real API, for the UI's benchmarks: 100 hosts and 2,000 replicas of
 * 100 jobs written into the embedded store as the agents and the scheduler would (hosts with
 * sessions, job records, allocations with statuses and events; one replica in 97 failed).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startApi } from '../../src/api/index.js';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import { silentLogger } from '../../src/log/index.js';
import { keys, type Allocation, type AllocStatus, type JobRecord } from '../../src/state/index.js';

export const HOSTS = 100;
export const REPLICAS = 2_000;
const JOBS = 100;

export interface SimulatedCluster {
  /** The page: `http://127.0.0.1:<port>/ui/`. */
  url: string;
  stop(): Promise<void>;
}

/** `token`: the API asks for it (the page then builds the map from /v1/map instead of getting it inline). */
export async function simulatedCluster(token?: string): Promise<SimulatedCluster> {
  const catalog = createEmbeddedCatalog();
  const now = Date.now();
  for (let i = 0; i < HOSTS; i++) {
    const session = await catalog.createSession({ name: `host-h${i}`, ttlMs: 3_600_000 });
    await catalog.registerHost({ name: `h${i}`, address: `10.0.${i >> 8}.${i & 255}`, meta: { zone: `z${i % 3}`, disk: i % 2 ? 'ssd' : 'hdd' }, capacity: { cpu: 8000, memory: 32768 } }, session);
  }
  const perJob = REPLICAS / JOBS;
  for (let j = 0; j < JOBS; j++) {
    const name = `job-${j}`;
    const record: JobRecord = {
      job: {
        name, count: perJob, global: false,
        containers: [{ name, image: 'busybox', env: {}, ports: [], resources: { cpu: 100, memory: 64 } }],
        tags: [], labels: { tier: j % 2 ? 'frontend' : 'backend' }, constraints: {},
        update: { maxParallel: 1, minHealthyMs: 0 }, strategy: 'spread',
      } as unknown as JobRecord['job'],
      version: 1, submittedAt: now, stopped: false,
    };
    await catalog.kvPut(keys.job(name), JSON.stringify(record));
    for (let o = 0; o < perJob; o++) {
      const host = `h${(j * perJob + o) % HOSTS}`;
      const a: Allocation = { id: `${name}-${o}-x`, job: name, ordinal: o, host, jobVersion: 1, desired: 'run', createdAt: now };
      const failed = (j * perJob + o) % 97 === 0;
      const s = {
        allocId: a.id, state: failed ? 'failed' : 'running', containerIds: ['c'], healthy: !failed, updatedAt: now,
        ...(failed ? { message: 'exited with code 3; last output:\nboom' } : {}),
        events: [{ at: now - 5000, type: 'started', message: 'started' }],
      } as unknown as AllocStatus;
      await catalog.kvPut(keys.alloc(host, a.id), JSON.stringify(a));
      await catalog.kvPut(keys.allocStatus(host, a.id), JSON.stringify(s));
    }
  }
  const api = await startApi({ catalog, addr: { host: '127.0.0.1', port: 0 }, logger: silentLogger, processMetrics: false, ...(token ? { token } : {}) });
  return {
    url: `http://127.0.0.1:${api.address().port}/ui/`,
    async stop() {
      await api.stop(100);
      await catalog.close();
    },
  };
}

/** The same cluster, its API in a child process (cluster-process.ts): what the benchmarks use. */
export async function simulatedClusterProcess(token?: string): Promise<SimulatedCluster> {
  const child = fork(fileURLToPath(new URL('./cluster-process.js', import.meta.url)), token ? [`--token=${token}`] : [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`the simulated cluster's process exited (${code}) before it listened`)));
  });
  return {
    url,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send('stop');
      await exited;
    },
  };
}
