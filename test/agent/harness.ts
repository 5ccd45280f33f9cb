/**
 * Real-Docker harness for agent tests: an embedded catalog, jobs and allocations written straight into
 * its KV (no scheduler), agents on the shared dockerd, and cleanup of everything a test created.
 */
import type { TestContext } from 'node:test';
import { startAgent, type Agent, type AgentOptions } from '../../src/agent/index.js';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import { CatalogError, type Catalog } from '../../src/catalog/types.js';
import { DockerodeAdapter, type ContainerInfo } from '../../src/docker/index.js';
import { silentLogger } from '../../src/log/index.js';
import { keys, type Allocation, type AllocStatus, type Job, type JobRecord } from '../../src/scheduler/types.js';
import { SCOPE_LABEL, TEST_IMAGE, removeScope, uniqueScope } from '../support/docker.js';
import { job as jobFixture } from './fixtures.js';

export const docker = new DockerodeAdapter();

export interface Harness {
  catalog: Catalog;
  scope: string;
  /** A job name unique to this test. */
  name(prefix: string): string;
  agent(host: string, over?: Partial<AgentOptions>): Agent;
  /** A job on TEST_IMAGE labelled with the test scope (so cleanup finds its containers). */
  job(name: string, over?: Partial<Job>, containers?: Parameters<typeof jobFixture>[2]): Job;
  putJob(job: Job, version?: number): Promise<void>;
  putAlloc(a: Allocation): Promise<void>;
  deleteAlloc(a: Allocation): Promise<void>;
  status(host: string, allocId: string): Promise<AllocStatus | undefined>;
  /** This test's containers of a job (all states). */
  containers(job: string): Promise<ContainerInfo[]>;
}

export function harness(t: TestContext, catalog: Catalog = createEmbeddedCatalog()): Harness {
  const scope = uniqueScope('agent');
  const agents: Agent[] = [];
  t.after(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await removeScope(scope);
    await catalog.close();
  });
  return {
    catalog,
    scope,
    name: (prefix) => uniqueScope(prefix),
    agent(host, over = {}) {
      const a = startAgent({
        catalog, docker, host, advertise: '127.0.0.1', proxyHost: '172.17.0.1', logger: silentLogger,
        heartbeatMs: 3_000, reconcileMs: 1_000, stopTimeoutSec: 1, ...over,
      });
      agents.push(a);
      return a;
    },
    job(name, over = {}, containers) {
      const members = (containers ?? [{}]).map((c) => ({ image: TEST_IMAGE, command: ['sleep', '3600'], ...c }));
      return jobFixture(name, { ...over, labels: { ...over.labels, [SCOPE_LABEL]: scope } }, members);
    },
    async putJob(job, version = 1) {
      const record: JobRecord = { job, version, submittedAt: Date.now(), stopped: false };
      await catalog.kvPut(keys.jobVersion(job.name, version), JSON.stringify(record));
      await catalog.kvPut(keys.job(job.name), JSON.stringify(record));
    },
    async putAlloc(a) {
      await catalog.kvPut(keys.alloc(a.host, a.id), JSON.stringify(a));
    },
    async deleteAlloc(a) {
      await catalog.kvDelete(keys.alloc(a.host, a.id));
    },
    async status(host, allocId) {
      const { value } = await catalog.kvGet(keys.allocStatus(host, allocId));
      return value ? (JSON.parse(value.value) as AllocStatus) : undefined;
    },
    containers: (job) => docker.listContainers({ all: true, labels: [`maestro.job=${job}`, `${SCOPE_LABEL}=${scope}`] }),
  };
}

/**
 * A catalog that can be cut off: while `down`, every call (including blocking reads already waiting)
 * fails with `unavailable`, as a partition from the Consul agent would look to the host agent.
 */
export function flakyCatalog(real: Catalog): { catalog: Catalog; setDown(down: boolean): void } {
  let down = false;
  const fail = () => new CatalogError('unavailable', 'partitioned (test)');
  const catalog = new Proxy(real, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || prop === 'close') return value;
      return async (...args: unknown[]) => {
        if (down) throw fail();
        const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        if (down) throw fail();
        return result;
      };
    },
  });
  return { catalog, setDown: (d) => void (down = d) };
}
