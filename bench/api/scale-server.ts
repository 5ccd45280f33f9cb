/**
 * The server half of bench/api/scale.ts, run pinned to one core (`taskset -c 1`): seeds the embedded
 * store in-process (seed.ts; an etcd is seeded by the parent, or here when no seeding time is given),
 * starts the API, and prints one JSON line: its port, the seeding time and the memory the state view added (heap after a GC, before and
 * after the view's first sync). Written to run on the code before the view too (no view module:
 * the API then reads the catalog per request, and the view's memory is reported as 0).
 * Usage: node --expose-gc scale-server.js embedded|etcd [etcd-endpoint [seeding-ms: seeded already]]
 */
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import { createEtcdCatalog } from '../../src/catalog/etcd/index.js';
import type { Catalog } from '../../src/catalog/types.js';
import { startApi } from '../../src/api/index.js';
import { silentLogger } from '../../src/log/index.js';
import { seed } from './seed.js';

const [store = 'embedded', endpoint, seededMs] = process.argv.slice(2);
const catalog: Catalog = store === 'etcd' ? createEtcdCatalog({ endpoints: [endpoint!], hostName: 'bench', logger: silentLogger }) : createEmbeddedCatalog();
// The embedded store lives in this process, so it is written here; an etcd is written by the parent
// (scale.ts) unless it passed no seeding time (SCALE_SEED_IN_SERVER=1).
const seedMs = seededMs !== undefined ? Number(seededMs) : await seed(catalog);

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
