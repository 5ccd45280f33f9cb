import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startAgent, type AgentOptions } from '../../src/agent/index.js';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import type { Catalog } from '../../src/catalog/types.js';
import { silentLogger } from '../../src/log/index.js';
import { keys, type Allocation, type AllocStatus, type JobRecord } from '../../src/scheduler/types.js';
import { eventually } from '../support/wait.js';
import { FakeDocker } from './fake-docker.js';
import { alloc, job } from './fixtures.js';

async function setup(t: import('node:test').TestContext, n = 2) {
  const catalog = createEmbeddedCatalog();
  const docker = new FakeDocker();
  const record: JobRecord = { job: job('web'), version: 1, submittedAt: 1, stopped: false };
  await catalog.kvPut(keys.job('web'), JSON.stringify(record));
  const allocs: Allocation[] = [];
  for (let i = 0; i < n; i++) {
    allocs.push(alloc('web', i));
    await catalog.kvPut(keys.alloc('h1', allocs[i]!.id), JSON.stringify(allocs[i]));
  }
  const stops: Array<() => Promise<void>> = [];
  t.after(async () => {
    for (const s of stops) await s();
    await catalog.close();
  });
  const start = (over: Partial<AgentOptions> = {}) => {
    const agent = startAgent({
      catalog, docker, host: 'h1', advertise: '10.0.0.1', proxyHost: '172.17.0.1', logger: silentLogger,
      heartbeatMs: 300, reconcileMs: 60_000, stopTimeoutSec: 0, ...over,
    });
    stops.push(() => agent.stop());
    return agent;
  };
  const status = async (id: string) => {
    const { value } = await catalog.kvGet(keys.allocStatus('h1', id));
    return value ? (JSON.parse(value.value) as AllocStatus) : undefined;
  };
  const running = () => [...docker.containers.values()].filter((c) => c.running);
  return { catalog, docker, allocs, start, status, running };
}

test('Docker events alone (no periodic resync) report a dead container promptly', async (t) => {
  const s = await setup(t);
  s.start();
  await eventually(() => s.running().length === 2, 2_000, 'two started');
  await eventually(async () => (await s.status(s.allocs[0]!.id))?.state === 'running', 2_000, 'running');
  const victim = [...s.docker.containers.values()].find((c) => c.labels['maestro.alloc'] === s.allocs[0]!.id)!;
  const t0 = Date.now();
  s.docker.exit(victim.id, 1);
  await eventually(async () => (await s.status(s.allocs[0]!.id))?.state === 'failed', 2_000, 'failed');
  assert.ok(Date.now() - t0 < 1_000, 'reported within a second');
  assert.equal(s.running().length, 1, 'not restarted');
});

test('a Docker outage at start is retried until the daemon is back; nothing crashes', async (t) => {
  const s = await setup(t);
  s.docker.setDown(true);
  const agent = s.start({ reconcileMs: 100 });
  await eventually(() => agent.metrics().reconcileErrors >= 2, 3_000, 'failed passes');
  assert.equal(s.docker.containers.size, 0);
  assert.ok(agent.metrics().heartbeatErrors >= 1, 'capacity needs Docker info: registration retried');
  s.docker.setDown(false);
  await eventually(() => s.running().length === 2, 8_000, 'started after recovery');
  await eventually(async () => (await s.catalog.listHosts()).value.some((h) => h.name === 'h1' && h.alive), 8_000, 'host registered');
});

test('an expired host session is replaced and the host registered again', async (t) => {
  const s = await setup(t, 0);
  const sessions: string[] = [];
  const spy = new Proxy(s.catalog, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (prop !== 'createSession') return typeof v === 'function' ? v.bind(target) : v;
      return async (...args: Parameters<Catalog['createSession']>) => {
        const id = await target.createSession(...args);
        sessions.push(id);
        return id;
      };
    },
  });
  const agent = s.start({ catalog: spy, capacity: { cpu: 1500, memory: 512 } });
  const alive = async () => (await s.catalog.listHosts()).value.find((h) => h.name === 'h1')?.alive === true;
  await eventually(alive, 2_000, 'registered');
  assert.deepEqual((await s.catalog.listHosts()).value[0]!.capacity, { cpu: 1500, memory: 512 });
  await s.catalog.destroySession(sessions[0]!);
  assert.equal(await alive(), false);
  await eventually(alive, 2_000, 're-registered');
  assert.equal(sessions.length, 2);
  assert.equal(agent.metrics().registrations, 2);
  await agent.stop();
  assert.equal(await alive(), false, 'stop ends the session: the host is down at once');
});

test('a restarted agent adopts running containers: no restarts, no new status writes', async (t) => {
  const s = await setup(t);
  const first = s.start();
  await eventually(async () => (await s.status(s.allocs[1]!.id))?.state === 'running', 2_000, 'running');
  await first.stop();
  assert.equal(s.running().length, 2, 'containers outlive the agent');
  const ids = [...s.docker.containers.keys()].sort();
  const second = s.start();
  await eventually(() => second.metrics().reconciles >= 1, 2_000, 'a pass');
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual([...s.docker.containers.keys()].sort(), ids);
  assert.equal(second.metrics().containersStarted, 0);
  assert.equal(second.metrics().statusWrites, 0);
});

test('a new allocation version replaces the container in place', async (t) => {
  const s = await setup(t, 1);
  s.start();
  await eventually(() => s.running().length === 1, 2_000, 'started');
  const before = s.running()[0]!;
  const v2: JobRecord = { job: job('web', {}, [{ image: 'img:1', env: { V: '2' } }]), version: 2, submittedAt: 2, stopped: false };
  await s.catalog.kvPut(keys.job('web'), JSON.stringify(v2));
  await s.catalog.kvPut(keys.alloc('h1', s.allocs[0]!.id), JSON.stringify({ ...s.allocs[0], jobVersion: 2 }));
  const after = await eventually(() => s.running().find((c) => c.id !== before.id), 2_000, 'replacement');
  assert.equal(after.env.V, '2');
  assert.equal(after.labels['maestro.job-version'], '2');
  assert.equal(s.docker.containers.has(before.id), false);
});

test('a host whose Docker daemon is gone lets its session lapse (down), and comes back with it', async (t) => {
  const s = await setup(t, 0);
  s.start({ capacity: { cpu: 1000, memory: 512 } });
  const alive = async () => (await s.catalog.listHosts()).value.find((h) => h.name === 'h1')?.alive === true;
  await eventually(alive, 2_000, 'registered');
  s.docker.setDown(true);
  await eventually(async () => !(await alive()), 3_000, 'host down while Docker is unreachable');
  s.docker.setDown(false);
  await eventually(alive, 5_000, 'host alive again once Docker answers');
});

test('after its session expired (a partition), the agent re-reads its allocations at once and stops moved replicas', async (t) => {
  const s = await setup(t, 1);
  const sessions: string[] = [];
  // The allocation watch never delivers after the first read, as a blocking read hung on a
  // connection opened before a partition would: only the re-read can tell the agent.
  let listCalls = 0;
  const stuck = new Proxy(s.catalog, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (prop === 'createSession') {
        return async (...args: Parameters<Catalog['createSession']>) => {
          const id = await target.createSession(...args);
          sessions.push(id);
          return id;
        };
      }
      if (prop === 'kvList') {
        return async (prefix: string, opts?: { index?: number; signal?: AbortSignal }) => {
          if (prefix === keys.allocPrefix('h1') && (opts?.index ?? 0) > 0) {
            listCalls++;
            return new Promise((_, reject) => opts?.signal?.addEventListener('abort', () => reject(new Error('aborted'))));
          }
          return target.kvList(prefix, opts);
        };
      }
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  s.start({ catalog: stuck });
  await eventually(() => s.running().length === 1, 2_000, 'replica running');
  // The scheduler moved the replica away while this host was cut off…
  await s.catalog.kvDelete(keys.alloc('h1', s.allocs[0]!.id));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(s.running().length, 1, 'the hung watch did not notice');
  assert.ok(listCalls >= 1);
  // …and the host's session expired meanwhile.
  await s.catalog.destroySession(sessions[0]!);
  await eventually(() => s.running().length === 0, 2_000, 'the moved replica is stopped right after re-registering');
});
