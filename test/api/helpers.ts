import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import type { Catalog, ServiceInstance } from '../../src/catalog/types.js';
import { silentLogger } from '../../src/log/index.js';
import { startApi, type ApiOptions, type ApiServer } from '../../src/api/index.js';
import { keys, type Allocation, type AllocStatus, type Evaluation } from '../../src/scheduler/types.js';

export interface Harness {
  catalog: Catalog;
  api: ApiServer;
  base: string;
  close(): Promise<void>;
}

/** A real API server on 127.0.0.1:0 over an in-memory embedded catalog. */
export async function startHarness(opts: Partial<ApiOptions> = {}): Promise<Harness> {
  const catalog = createEmbeddedCatalog();
  const api = await startApi({
    catalog,
    addr: { host: '127.0.0.1', port: 0 },
    logger: silentLogger,
    processMetrics: false,
    ...opts,
  });
  return {
    catalog,
    api,
    base: `http://127.0.0.1:${api.address().port}`,
    async close() {
      await api.stop(100);
      await catalog.close();
    },
  };
}

export const REDIS_YAML = `
name: redis
image: redis:7
count: 3
labels: { tier: backend, env: prod }
ports:
  - { name: redis, container: 6379 }
resources: { cpu: 250, memory: 256 }
`;

/** Writes what the scheduler and an agent would: allocations, their statuses, an evaluation. */
export async function seedRun(
  catalog: Catalog,
  job: string,
  version: number,
  replicas: { ordinal: number; host: string; state: AllocStatus['state']; healthy: boolean }[],
  failures: Evaluation['failures'] = [],
): Promise<Allocation[]> {
  const allocs: Allocation[] = [];
  for (const r of replicas) {
    const alloc: Allocation = {
      id: `${job}-${r.ordinal}-x${version}`,
      job,
      ordinal: r.ordinal,
      host: r.host,
      jobVersion: version,
      desired: 'run',
      createdAt: Date.now(),
    };
    const status: AllocStatus = {
      allocId: alloc.id,
      state: r.state,
      containerIds: [`c${r.ordinal}`],
      healthy: r.healthy,
      // Healthy for long past any update.minHealthy, so it counts as healthy in job views.
      ...(r.healthy ? { healthySince: Date.now() - 3_600_000 } : {}),
      updatedAt: Date.now(),
    };
    await catalog.kvPut(keys.alloc(r.host, alloc.id), JSON.stringify(alloc));
    await catalog.kvPut(keys.allocStatus(r.host, alloc.id), JSON.stringify(status));
    allocs.push(alloc);
  }
  const evaluation: Evaluation = { job, at: Date.now(), jobVersion: version, placed: replicas.length, stopped: 0, failures };
  await catalog.kvPut(keys.evaluation(job), JSON.stringify(evaluation));
  return allocs;
}

export async function registerHost(catalog: Catalog, name: string, meta: Record<string, string> = {}): Promise<void> {
  const session = await catalog.createSession({ name: `host:${name}`, ttlMs: 60_000 });
  await catalog.registerHost({ name, address: '10.0.0.1', meta, capacity: { cpu: 4000, memory: 8192 } }, session);
}

export function instance(service: string, name: string, health: ServiceInstance['health'], meta: Record<string, string> = {}): ServiceInstance {
  return {
    id: `h1:${name}:80`,
    service,
    name,
    host: 'h1',
    address: '10.0.0.1',
    port: 30000 + Number(name.replace(/\D/g, '') || 0),
    tags: ['v1'],
    meta,
    health,
  };
}

export async function call(
  base: string,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: any; text: string; headers: Headers }> {
  // A body is YAML unless the test says otherwise (fetch alone would send text/plain, as a web page does).
  const type = Object.keys(headers).some((k) => k.toLowerCase() === 'content-type');
  if (body !== undefined && !type) headers = { ...headers, 'content-type': 'application/yaml' };
  const res = await fetch(base + path, { method, body, headers });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}
