/**
 * Builds a simulated cluster in a store through the catalog port: hosts (a session each, as agents
 * register), job records (through the job store, as the API writes them) and, when `placed`, one
 * allocation per replica already written (as if a previous leader had placed them), in transactions.
 */
import type { Catalog, TxnOp } from '../../src/catalog/types.js';
import { submitJob } from '../../src/scheduler/jobs.js';
import { validateJob } from '../../src/scheduler/spec/index.js';
import { keys, type Allocation } from '../../src/scheduler/types.js';

export interface SeedOptions {
  hosts: number;
  jobs: number;
  replicas: number;
  placed: boolean;
}

const pad = (n: number) => String(n).padStart(5, '0');

async function parallel<T>(items: readonly T[], inFlight: number, each: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < items.length) await each(items[next++]!);
  }));
}

/** Returns each host's session, so a benchmark can make one die. */
export async function seedCluster(catalog: Catalog, o: SeedOptions): Promise<Map<string, string>> {
  const sessions = new Map<string, string>();
  const hosts = Array.from({ length: o.hosts }, (_, i) => `host-${pad(i)}`);
  await parallel(hosts, 64, async (name) => {
    const s = await catalog.createSession({ name: `host:${name}`, ttlMs: 3_600_000 });
    await catalog.registerHost({ name, address: '127.0.0.1', meta: {}, capacity: { cpu: 32_000, memory: 131_072 } }, s);
    sessions.set(name, s);
  });
  const jobs = Array.from({ length: o.jobs }, (_, i) => `job-${pad(i)}`);
  await parallel(jobs, 16, async (name) => {
    await submitJob(catalog, validateJob({ name, image: 'app', count: o.replicas, resources: { cpu: 100, memory: 128 } }), 0);
  });
  if (!o.placed) return sessions;
  const ops: TxnOp[] = [];
  jobs.forEach((job, j) => {
    for (let ordinal = 0; ordinal < o.replicas; ordinal++) {
      const host = hosts[(j * o.replicas + ordinal * 7) % hosts.length]!;
      const a: Allocation = { id: `${job}-${ordinal}-seed`, job, ordinal, host, jobVersion: 1, desired: 'run', createdAt: 0 };
      ops.push({ verb: 'put', key: keys.alloc(host, a.id), value: JSON.stringify(a) });
    }
  });
  const per = catalog.maxTxnOps - 1;
  const batches = Array.from({ length: Math.ceil(ops.length / per) }, (_, i) => ops.slice(i * per, (i + 1) * per));
  await parallel(batches, 8, async (b) => {
    if (!(await catalog.kvTxn(b))) throw new Error('seeding transaction refused');
  });
  return sessions;
}
