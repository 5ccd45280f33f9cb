/**
 * The agent loop with its checks (fake Docker, scripted probe): the check's verdict drives the
 * allocation's status and the registrar's input (`health`, `onHealthChange`); a dead container is
 * reported with its last output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startAgent } from '../../src/agent/index.js';
import type { Prober } from '../../src/agent/checks/probe.js';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import { silentLogger } from '../../src/log/index.js';
import { keys, type AllocStatus, type JobRecord } from '../../src/scheduler/types.js';
import { eventually } from '../support/wait.js';
import { FakeDocker } from './fake-docker.js';
import { alloc, job } from './fixtures.js';

test('an http check from the agent makes the allocation healthy, then unhealthy with its output; the registrar is told each time', async (t) => {
  const catalog = createEmbeddedCatalog();
  const docker = new FakeDocker();
  const j = job('web', { health: { http: '/health', intervalMs: 30, timeoutMs: 30 } }, [{ ports: [{ name: 'http', container: 8080, protocol: 'tcp' }] }]);
  await catalog.kvPut(keys.job('web'), JSON.stringify({ job: j, version: 1, submittedAt: 1, stopped: false } satisfies JobRecord));
  const a = alloc('web', 0);
  await catalog.kvPut(keys.alloc('h1', a.id), JSON.stringify(a));
  let answer = { ok: true, output: 'HTTP 200 OK' };
  const probed: string[] = [];
  const probe: Prober = async (spec, address) => {
    probed.push(`${spec.kind} ${address.host}:${address.port}${spec.path}`);
    return answer;
  };
  const told: string[] = [];
  const agent = startAgent({
    catalog, docker, host: 'h1', advertise: '10.0.0.1', proxyHost: '172.17.0.1', logger: silentLogger,
    heartbeatMs: 300, reconcileMs: 60_000, stopTimeoutSec: 0, probe, onHealthChange: (id) => told.push(id),
  });
  t.after(async () => {
    await agent.stop();
    await catalog.close();
  });
  const status = async () => {
    const { value } = await catalog.kvGet(keys.allocStatus('h1', a.id));
    return value ? (JSON.parse(value.value) as AllocStatus) : undefined;
  };
  const healthy = await eventually(async () => ((await status())?.healthy ? status() : undefined), 5_000, 'healthy');
  const c = [...docker.containers.values()][0]!;
  assert.equal(probed[0], `http ${c.ipAddress}:8080/health`, 'the container address, from the host');
  assert.equal(healthy!.check?.output, 'HTTP 200 OK');
  assert.equal(c.health, undefined, 'no HEALTHCHECK in the container');
  assert.equal(agent.health(c.labels), 'passing');
  assert.ok(told.includes(c.id));

  answer = { ok: false, output: 'HTTP 503 Service Unavailable: warming' };
  const sick = await eventually(async () => {
    const s = await status();
    return s && !s.healthy ? s : undefined;
  }, 5_000, 'unhealthy');
  assert.equal(sick.message, 'health check failing: HTTP 503 Service Unavailable: warming');
  assert.equal(sick.state, 'running', 'an unhealthy replica is not failed or restarted by the agent');
  assert.equal(agent.health(c.labels), 'critical');
  // `healthy` is its own event only when the first report was not healthy yet (the probe may win that race).
  assert.equal(sick.events![0]!.type, 'started');
  assert.deepEqual(sick.events!.at(-1), { at: sick.events!.at(-1)!.at, type: 'unhealthy', message: sick.message });
  assert.equal(agent.health({ ...c.labels, 'maestro.host': 'other' }), undefined, 'other hosts\' containers are not its to judge');
});

test('a container started for a job with a check is not served until its first probe passes', async (t) => {
  const catalog = createEmbeddedCatalog();
  const docker = new FakeDocker();
  const j = job('web', { health: { http: '/health', intervalMs: 30, timeoutMs: 30 } }, [{ ports: [{ name: 'http', container: 8080, protocol: 'tcp' }] }]);
  await catalog.kvPut(keys.job('web'), JSON.stringify({ job: j, version: 1, submittedAt: 1, stopped: false } satisfies JobRecord));
  await catalog.kvPut(keys.alloc('h1', alloc('web', 0).id), JSON.stringify(alloc('web', 0)));
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const probe: Prober = async () => (await released, { ok: true, output: 'HTTP 200 OK' });
  let agent: ReturnType<typeof startAgent> | undefined;
  // What the registrar would read the moment Docker reports the container started.
  const atStart: (string | undefined)[] = [];
  const run = docker.run.bind(docker);
  docker.run = async (spec) => {
    const id = await run(spec);
    atStart.push(agent!.health(docker.containers.get(id)!.labels));
    return id;
  };
  agent = startAgent({
    catalog, docker, host: 'h1', advertise: '10.0.0.1', proxyHost: '172.17.0.1', logger: silentLogger,
    heartbeatMs: 300, reconcileMs: 60_000, stopTimeoutSec: 0, probe,
  });
  t.after(async () => {
    release();
    await agent!.stop();
    await catalog.close();
  });
  await eventually(() => atStart.length > 0, 5_000, 'the container started');
  assert.deepEqual(atStart, ['warning'], 'not served unchecked (the registrar reads undefined as Docker\'s own view: passing)');
  const c = [...docker.containers.values()][0]!;
  await eventually(() => agent!.health(c.labels) === 'warning', 5_000, 'the check loop, still waiting for its first probe');
  release();
  await eventually(() => agent!.health(c.labels) === 'passing', 5_000, 'passing once the probe passes');
});

test('a container that exits is reported with its exit code and last lines of output', async (t) => {
  const catalog = createEmbeddedCatalog();
  const docker = new FakeDocker();
  await catalog.kvPut(keys.job('web'), JSON.stringify({ job: job('web'), version: 1, submittedAt: 1, stopped: false } satisfies JobRecord));
  const a = alloc('web', 0);
  await catalog.kvPut(keys.alloc('h1', a.id), JSON.stringify(a));
  const agent = startAgent({ catalog, docker, host: 'h1', advertise: '10.0.0.1', proxyHost: '172.17.0.1', logger: silentLogger, heartbeatMs: 300, reconcileMs: 60_000, stopTimeoutSec: 0 });
  t.after(async () => {
    await agent.stop();
    await catalog.close();
  });
  const c = await eventually(() => [...docker.containers.values()][0], 5_000, 'started');
  docker.output.set(c.id, 'one\ntwo\nthree\nfour\nfive\nsix\nfatal: bad config\n');
  docker.exit(c.id, 3);
  const failed = await eventually(async () => {
    const { value } = await catalog.kvGet(keys.allocStatus('h1', a.id));
    const s = value ? (JSON.parse(value.value) as AllocStatus) : undefined;
    return s?.state === 'failed' ? s : undefined;
  }, 5_000, 'failed');
  assert.equal(failed.message, 'exited with code 3; last output:\nthree\nfour\nfive\nsix\nfatal: bad config');
  assert.equal(failed.events!.at(-1)!.type, 'exited');
});
