/**
 * What durability costs the embedded store: acknowledged writes per second and their latency, one at
 * a time and with many in flight (group commit), the latency of reads made while writes are pending
 * (a read waits until what it saw is durable), and the event loop's delay meanwhile (DNS and the
 * proxies share that loop). The state is kept to 2,000 keys, like a real catalog's jobs and
 * allocations, and the run crosses compactions (every 5,000 records here).
 *
 *   node .build/<you>/bench/store/writes.js [--store <module>] [sequential=2000] [concurrent=20000]
 *
 * The store defaults to this tree's embedded catalog; `--store` names another build's
 * `src/catalog/embedded/index.js` to compare (e.g. the version before the framed log).
 * The machine's load moves these figures a lot: compare runs made back to back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { Catalog } from '../../src/catalog/types.js';

const args = process.argv.slice(2);
const storeAt = args.indexOf('--store');
const modulePath = storeAt >= 0 ? args.splice(storeAt, 2)[1] : undefined;
const [seqArg, concArg] = args;
const target = modulePath ? pathToFileURL(resolve(modulePath)).href : new URL('../../src/catalog/embedded/index.js', import.meta.url).href;
const { createEmbeddedCatalog } = (await import(target)) as { createEmbeddedCatalog: (o: object) => Catalog };
const sequential = Number(seqArg ?? 2_000);
const concurrent = Number(concArg ?? 20_000);
const IN_FLIGHT = 64;
const KEYS = 2_000;

const dir = mkdtempSync(join(tmpdir(), 'maestro-bench-store-'));
const catalog = createEmbeddedCatalog({ dataDir: dir, compactAfter: 5_000 });
const value = JSON.stringify({ job: 'web', image: 'registry.example/web:1.2.3', host: 'node-1', ports: [8080], state: 'running' });

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const ms = (n: number) => n.toFixed(2);

async function phase(name: string, count: number, inFlight: number, readers = 0): Promise<void> {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const latencies: number[] = [];
  const reads: number[] = [];
  let next = 0;
  let writing = true;
  loop.enable();
  // The histogram only samples when the loop turns; a store that never yields shows up as a stall.
  let beat = performance.now();
  let stall = 0;
  const heartbeat = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - beat);
    beat = now;
  }, 1);
  const started = performance.now();
  const writer = async () => {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      await catalog.kvPut(`bench/${i % KEYS}`, value);
      latencies.push(performance.now() - t0);
    }
  };
  const reader = async () => {
    while (writing) {
      const t0 = performance.now();
      await catalog.kvGet(`bench/${reads.length % KEYS}`);
      reads.push(performance.now() - t0);
      await new Promise((r) => setImmediate(r));
    }
  };
  const readLoops = Array.from({ length: readers }, reader);
  await Promise.all(Array.from({ length: inFlight }, writer));
  const seconds = (performance.now() - started) / 1000;
  writing = false;
  await Promise.all(readLoops);
  stall = Math.max(stall, performance.now() - beat);
  clearInterval(heartbeat);
  loop.disable();
  latencies.sort((a, b) => a - b);
  reads.sort((a, b) => a - b);
  const delay = (p: number) => loop.percentile(p) / 1e6;
  console.log(
    `${name.padEnd(34)} ${String(Math.round(count / seconds)).padStart(7)} acked writes/s` +
      `  write p50 ${ms(pct(latencies, 50))} p99 ${ms(pct(latencies, 99))} max ${ms(latencies.at(-1) ?? 0)} ms` +
      (readers ? `  read p50 ${ms(pct(reads, 50))} p99 ${ms(pct(reads, 99))} ms` : '') +
      `  loop delay p50 ${ms(delay(50))} p99 ${ms(delay(99))} ms, longest stall ${ms(stall)} ms`,
  );
}

console.log(`store: ${target}`);
await phase('one at a time', sequential, 1);
await phase(`${IN_FLIGHT} in flight`, concurrent, IN_FLIGHT);
await phase(`${IN_FLIGHT} in flight + 4 readers`, Math.round(concurrent / 2), IN_FLIGHT, 4);
const t0 = performance.now();
await catalog.close();
console.log(`close (final compaction of ${KEYS} keys): ${ms(performance.now() - t0)} ms`);
rmSync(dir, { recursive: true, force: true });
