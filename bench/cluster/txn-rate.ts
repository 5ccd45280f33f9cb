/**
 * How fast a real etcd takes the scheduler's commits on this machine: placement-shaped units (a
 * replica claim with CAS 0 and an allocation only if absent, ~200-byte values) committed through
 * the scheduler's own `runBatched` — fenced transactions as large as the adapter takes — with 1, 8,
 * 32 and 64 transactions in flight. Placements/s per depth: what the commit path alone can reach,
 * without planning, the view or the simulators.
 *
 *   node .build/<you>/bench/cluster/txn-rate.js [--units 20000] [--depths 1,8,32,64]
 */
import { parseArgs } from 'node:util';
import { createEtcdCatalog } from '../../src/catalog/etcd/index.js';
import { silentLogger } from '../../src/log/index.js';
import { runBatched, type Unit } from '../../src/scheduler/service/batches.js';
import { newTiming } from '../../src/scheduler/service/timeline.js';
import { keys } from '../../src/scheduler/types.js';
import { BenchEtcd } from './etcd.js';

const { values: flags } = parseArgs({ options: { units: { type: 'string' }, depths: { type: 'string' } } });
const units = Number(flags.units ?? 20_000);
const depths = (flags.depths ?? '1,8,32,64').split(',').map(Number);

const etcd = await BenchEtcd.start();
const catalog = createEtcdCatalog({ endpoints: [etcd.endpoint], prefix: '/rate/', hostName: 'rate', logger: silentLogger, callTimeoutMs: 30_000 });
try {
  const session = await catalog.createSession({ name: 'leader', ttlMs: 60_000 });
  if (!(await catalog.kvPut(keys.leaderLock, 'me', { acquire: session }))) throw new Error('no lock');
  const fence = { key: keys.leaderLock, session };
  for (const depth of depths) {
    const job = `rate-${depth}`;
    const list: Unit[] = Array.from({ length: units }, (_, i) => {
      const a = { id: `${job}-${i}`, job, ordinal: i, host: `sim-${String(i % 5000).padStart(5, '0')}`, jobVersion: 1, desired: 'run', createdAt: Date.now(), resources: { cpu: 10, memory: 16 } };
      return {
        ops: [
          { verb: 'put', key: keys.allocClaim(job, i), value: JSON.stringify({ id: a.id, at: a.createdAt }), cas: 0 },
          { verb: 'put', key: keys.alloc(a.host, a.id), value: JSON.stringify(a), cas: 0 },
        ],
        done: () => undefined,
        conflict: () => {
          throw new Error('unexpected conflict');
        },
      };
    });
    const stats = newTiming();
    const t0 = performance.now();
    if (!(await runBatched(catalog, list, fence, stats, depth))) throw new Error('deposed');
    const s = (performance.now() - t0) / 1000;
    console.log(`${depth} in flight: ${Math.round(units / s).toLocaleString('en-US')} placements/s (${stats.txns} txns of ${Math.round(stats.ops / stats.txns)} ops, ${Math.round(stats.txnMs / stats.txns)} ms each, ${s.toFixed(1)} s)`);
  }
} finally {
  await catalog.close();
  await etcd.stop();
}
