/**
 * The cluster bench/api/scale.ts reads: 1,000 hosts, 2,000 jobs × 25 replicas = 50,000 allocations
 * with their statuses and one evaluation per job, written straight into the store in transactions
 * of its largest size.
 */
import type { Catalog, TxnOp } from '../../src/catalog/types.js';
import { keys, type Allocation, type AllocStatus, type JobRecord } from '../../src/state/index.js';

export const SIZE = { hosts: 1_000, jobs: 2_000, allocs: 50_000 };

/** Writes the cluster; returns the time it took (ms). */
export async function seed(catalog: Catalog): Promise<number> {
  const started = Date.now();
  const session = await catalog.createSession({ name: 'bench-hosts', ttlMs: 3_600_000 });
  // In slices of 100. A thousand at once was the cause of the etcd server's higher cost per request:
  // with 1,000 gRPC calls in flight, V8 saw the stream-write objects survive and from then on
  // allocated those of every HTTP response in the old generation (README.md); it also missed etcd's
  // call deadline on a loaded machine.
  for (let from = 0; from < SIZE.hosts; from += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, SIZE.hosts - from) }, (_, i) => {
        const h = from + i;
        return catalog.registerHost({ name: `h${h}`, address: `10.1.${h >> 8}.${h & 255}`, meta: { zone: `z${h % 3}` }, capacity: { cpu: 16_000, memory: 65_536 } }, session);
      }),
    );
  }
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
  return Date.now() - started;
}
