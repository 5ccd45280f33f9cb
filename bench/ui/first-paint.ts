/**
 * First paint of the web UI's cluster map for 100 hosts and 2,000 replicas, measured in chromium.
 * The records are simulated (written into the embedded store as the agents and the scheduler would:
 * hosts with sessions, jobs, allocations with statuses and events) behind a real API; the page is
 * the real one. "First paint" is from the navigation's start to the end of the first frame painted
 * with the map in it (marked by the page: a task queued from that frame's requestAnimationFrame). Printed beside the 300 ms goal; a fresh page each round, median and worst.
 * Usage: node .build/x/bench/ui/first-paint.js [rounds]
 */
import { chromium } from 'playwright-core';
import { startApi } from '../../src/api/index.js';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import { silentLogger } from '../../src/log/index.js';
import { keys, type Allocation, type AllocStatus, type JobRecord } from '../../src/state/index.js';
import { CHROMIUM } from '../../test/ui/browser.js';

const ROUNDS = Number(process.argv[2] ?? 7);
const HOSTS = 100;
const REPLICAS = 2_000;
const JOBS = 100;
const GOAL_MS = 300;

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

const api = await startApi({ catalog, addr: { host: '127.0.0.1', port: 0 }, logger: silentLogger, processMetrics: false });
const url = `http://127.0.0.1:${api.address().port}/ui/`;
if (!CHROMIUM) throw new Error('chromium is needed (apt-get install chromium, or MAESTRO_CHROMIUM)');
const browser = await chromium.launch({ executablePath: CHROMIUM, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });

const figures: number[] = [];
let shown = '';
for (let round = 0; round < ROUNDS; round++) {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  await page.goto(url);
  await page.waitForSelector('section.map[data-rendered]', { timeout: 60_000 });
  await page.waitForFunction(() => (globalThis as any).performance.getEntriesByName('maestro-map-painted').length > 0, undefined, { timeout: 60_000 });
  const paint = await page.evaluate(() => {
    const g = globalThis as any;
    const at = (name: string): number => g.performance.getEntriesByName(name)[0]?.startTime ?? NaN;
    return { rendered: at('maestro-map'), painted: at('maestro-map-painted'), fcp: at('first-contentful-paint'), replicas: g.document.querySelectorAll('.replica').length, hosts: g.document.querySelectorAll('.host').length };
  });
  const ms = paint.painted;
  shown = `${paint.hosts} hosts, ${paint.replicas} replicas on the page`;
  figures.push(ms);
  console.log(`round ${round}: header painted ${paint.fcp.toFixed(0)} ms, map rendered ${paint.rendered.toFixed(0)} ms, map painted ${paint.painted.toFixed(0)} ms`);
  await page.close();
}
await browser.close();
await api.stop(100);
await catalog.close();
figures.sort((a, b) => a - b);
console.log(`${shown}`);
console.log(`first paint of the map (navigation start → map painted): median ${figures[figures.length >> 1]!.toFixed(0)} ms, worst ${figures[figures.length - 1]!.toFixed(0)} ms over ${ROUNDS} rounds (goal ${GOAL_MS} ms)`);
