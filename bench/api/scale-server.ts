/**
 * The server half of bench/api/scale.ts, run pinned to one core (`taskset -c 1`): seeds the cluster
 * straight into the store (embedded in-process, or a real etcd), starts the API, and prints one JSON
 * line: its port, the seeding time and the memory the state view added (heap after a GC, before and
 * after the view's first sync). Written to run on the code before the view too (no view module:
 * the API then reads the catalog per request, and the view's memory is reported as 0).
 * Usage: node --expose-gc scale-server.js embedded|etcd [etcd-endpoint]
 */
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import { createEtcdCatalog } from '../../src/catalog/etcd/index.js';
import type { Catalog, TxnOp } from '../../src/catalog/types.js';
import { startApi } from '../../src/api/index.js';
import { silentLogger } from '../../src/log/index.js';
import { keys, type Allocation, type AllocStatus, type JobRecord } from '../../src/state/index.js';

export const SIZE = { hosts: 1_000, jobs: 2_000, allocs: 50_000 };

const [store = 'embedded', endpoint] = process.argv.slice(2);
const catalog: Catalog = store === 'etcd' ? createEtcdCatalog({ endpoints: [endpoint!], hostName: 'bench', logger: silentLogger }) : createEmbeddedCatalog();

const started = Date.now();
const session = await catalog.createSession({ name: 'bench-hosts', ttlMs: 3_600_000 });
await Promise.all(
  Array.from({ length: SIZE.hosts }, (_, h) => catalog.registerHost({ name: `h${h}`, address: `10.1.${h >> 8}.${h & 255}`, meta: { zone: `z${h % 3}` }, capacity: { cpu: 16_000, memory: 65_536 } }, session)),
);
const perJob = SIZE.allocs / SIZE.jobs;
let ops: TxnOp[] = [];
const flush = async () => {
  if (ops.length && !(await catalog.kvTxn(ops))) throw new Error('seeding txn failed');
  ops = [];
};
const add = async (key: string, value: unknown) => {
  ops.push({ verb: 'put', key, value: JSON.stringify(value) });
  if (ops.length >= catalog.maxTxnOps) await flush();
};
const now = Date.now();
for (let j = 0; j < SIZE.jobs; j++) {
  const name = `job-${j}`;
  const record: JobRecord = {
    job: {
      name, count: perJob, global: false,
      containers: [{ name, image: 'busybox', env: {}, ports: [], resources: { cpu: 100, memory: 64 } }],
      tags: [], labels: { tier: j % 2 ? 'frontend' : 'backend', team: `t${j % 50}` }, constraints: {},
      update: { maxParallel: 1, minHealthyMs: 0 }, strategy: 'spread',
    },
    version: 1, submittedAt: now, stopped: false,
  };
  await add(keys.job(name), record);
  for (let o = 0; o < perJob; o++) {
    const host = `h${(j * perJob + o) % SIZE.hosts}`;
    const a: Allocation = { id: `${name}-${o}-x`, job: name, ordinal: o, host, jobVersion: 1, desired: 'run', createdAt: now };
    const s: AllocStatus = { allocId: a.id, state: 'running', containerIds: ['c0ffee'], healthy: true, healthySince: now - 60_000, updatedAt: now };
    await add(keys.alloc(host, a.id), a);
    await add(keys.allocStatus(host, a.id), s);
  }
  await add(keys.evaluation(name), { job: name, at: now, jobVersion: 1, placed: perJob, stopped: 0, failures: [] });
}
await flush();
const seedMs = Date.now() - started;

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
gc();
const heapBefore = process.memoryUsage().heapUsed;
let view: { ready(): Promise<void>; close(): Promise<void> } | undefined;
try {
  const mod = (await import('../../src/view/index.js' as string)) as { createStateView(c: Catalog): typeof view };
  view = mod.createStateView(catalog);
  await view!.ready();
} catch (err) {
  if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
}
gc();
const viewBytes = view ? process.memoryUsage().heapUsed - heapBefore : 0;
const api = await startApi({ catalog, ...(view ? { view } : {}), addr: { host: '127.0.0.1', port: 0 }, logger: silentLogger, processMetrics: false } as Parameters<typeof startApi>[0]);
console.log(JSON.stringify({ port: api.address().port, seedMs, viewBytes, rss: process.memoryUsage().rss, hasView: !!view }));
process.on('SIGTERM', async () => {
  await api.stop(100);
  await view?.close();
  await catalog.close();
  process.exit(0);
});
