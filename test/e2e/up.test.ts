import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AllocView } from '../../src/api/index.js';
import { docker, dockerOrSkip, TEST_IMAGE } from '../support/docker.js';
import { eventually } from '../support/wait.js';
import { cli, cliJson, dig, jobFile, removeJobsAfter, startUp, viaProxy } from './support.js';

function webJob(name: string, count: number): string {
  // Each replica serves its own hostname (the container id), so the proxy's spread is visible.
  return `name: ${name}
image: ${TEST_IMAGE}
command: ["sh", "-c", "hostname > /www/index.html && exec httpd -f -p 80 -h /www"]
count: ${count}
ports:
  - { name: http, container: 80 }
labels: { suite: e2e }
resources: { cpu: 10, memory: 64 }
health: { http: /, interval: 1s, timeout: 1s }
update: { maxParallel: 3, minHealthy: 1s }
`;
}

async function containersOf(job: string): Promise<string[]> {
  return (await docker(['ps', '-q', '--filter', `label=maestro.job=${job}`])).split('\n').filter(Boolean);
}

test('up → run 3 replicas → ps, dig, curl through the proxy → scale 1 → stop', { timeout: 240_000 }, async (t) => {
  if (!(await dockerOrSkip(t))) return;
  // --internal: instances are container IP + port, so three replicas are three distinct addresses.
  const job = `web${Math.random().toString(36).slice(2, 7)}`;
  removeJobsAfter(t, job);
  const m = await startUp(t, { extra: ['--internal'] });

  const run = await cli(m.api, ['run', jobFile(t, job, webJob(job, 3)), '--timeout', '90s']);
  assert.equal(run.code, 0, `maestro run failed: ${run.stdout}\n${run.stderr}`);

  const ps = await cliJson<AllocView[]>(m.api, ['ps', job]);
  assert.equal(ps.length, 3);
  assert.ok(ps.every((a) => a.state === 'running' && a.healthy), JSON.stringify(ps));
  assert.deepEqual(ps.map((a) => a.instance).sort(), [0, 1, 2].map((i) => `${job}-${i}`));
  assert.equal((await containersOf(job)).length, 3);

  const addresses = await eventually(async () => {
    const a = await dig(m.addresses.dns, `${job}.service.cluster`);
    return a.length === 3 ? a : undefined;
  }, 10_000, 'three A records');
  assert.ok(addresses.every((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a)), addresses.join(','));
  const srv = await dig(m.addresses.dns, `_${job}._tcp.service.cluster`, 'SRV');
  assert.deepEqual(
    srv.map((r) => r.split(' ')[3]).sort(),
    [0, 1, 2].map((i) => `${job}-${i}.${job}.service.cluster.`),
  );
  assert.ok(srv.every((r) => r.split(' ')[2] === '80'), srv.join('\n'));
  const one = await dig(m.addresses.dns, `${job}-1.${job}.service.cluster`);
  assert.equal(one.length, 1);
  assert.ok(addresses.includes(one[0]!));

  const bodies = new Set<string>();
  for (let i = 0; i < 30 && bodies.size < 3; i++) {
    const r = await viaProxy(m.addresses.http, `${job}.service.cluster`);
    assert.equal(r.status, 200);
    bodies.add(r.body.trim());
  }
  assert.equal(bodies.size, 3, `the proxy reached ${[...bodies].join(', ')}`);

  // /metrics carries every component's counters, with labels.
  const metrics = await (await fetch(`${m.api}/metrics`)).text();
  const value = (re: RegExp) => Number(re.exec(metrics)?.[1] ?? NaN);
  assert.ok(value(/^maestro_dns_queries_total\{qtype="A"\} (\d+)/m) >= 2, 'dns queries by type');
  assert.ok(value(new RegExp(`^maestro_proxy_services_requests_total\\{service="${job}",class="2xx"\\} (\\d+)`, 'm')) >= 3, 'proxy requests by class');
  assert.ok(value(/^maestro_registrar_registrations_total (\d+)/m) >= 3, 'registrar registrations');
  assert.ok(value(/^maestro_scheduler_placed_total (\d+)/m) >= 3, 'scheduler placements');
  assert.ok(value(/^maestro_agent_containers_started_total (\d+)/m) >= 3, 'agent starts');

  // A replica whose container dies is replaced under the same instance name.
  const victim = ps.find((a) => a.instance === `${job}-1`)!;
  await docker(['kill', victim.containerIds[0]!]);
  await eventually(async () => {
    const now = await cliJson<AllocView[]>(m.api, ['ps', job]);
    const replica = now.find((a) => a.instance === `${job}-1` && a.desired === 'run');
    return replica && replica.id !== victim.id && replica.state === 'running' && replica.healthy;
  }, 60_000, `${job}-1 replaced after its container was killed`);
  await eventually(async () => (await dig(m.addresses.dns, `${job}-1.${job}.service.cluster`)).length === 1, 10_000, 'the replacement is in DNS');

  const scale = await cli(m.api, ['scale', job, '1']);
  assert.equal(scale.code, 0, scale.stderr);
  await eventually(async () => (await containersOf(job)).length === 1, 30_000, 'scale down to one container');
  const after = await cliJson<AllocView[]>(m.api, ['ps', job]);
  assert.deepEqual(after.filter((a) => a.desired === 'run').map((a) => a.instance), [`${job}-0`]);

  const stop = await cli(m.api, ['stop', job]);
  assert.equal(stop.code, 0, stop.stderr);
  await eventually(async () => (await containersOf(job)).length === 0, 30_000, 'nothing left running');
  await eventually(async () => (await dig(m.addresses.dns, `${job}.service.cluster`)).length === 0, 5_000, 'DNS empty');

  assert.equal(await m.stop(), 0, 'clean shutdown exits 0');
});

test('up restarted → running containers adopted, no duplicates, jobs intact', { timeout: 180_000 }, async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const job = `keep${Math.random().toString(36).slice(2, 7)}`;
  removeJobsAfter(t, job);
  const first = await startUp(t);
  const run = await cli(first.api, ['run', jobFile(t, job, webJob(job, 2)), '--timeout', '90s']);
  assert.equal(run.code, 0, run.stderr);
  const before = (await containersOf(job)).sort();
  assert.equal(before.length, 2);
  assert.equal(await first.stop(), 0);
  assert.deepEqual((await containersOf(job)).sort(), before, 'containers keep running while Maestro is down');

  const second = await startUp(t, { dataDir: first.dataDir, host: first.host });
  await eventually(async () => {
    const ps = await cliJson<AllocView[]>(second.api, ['ps', job]);
    return ps.length === 2 && ps.every((a) => a.state === 'running' && a.healthy);
  }, 30_000, 'both replicas running and healthy after the restart');
  // Give the scheduler and agent a few passes to do anything wrong.
  await new Promise((r) => setTimeout(r, 3_000));
  assert.deepEqual((await containersOf(job)).sort(), before, 'the same containers: adopted, none added');
  const jobs = await cliJson<Array<{ name: string; version: number }>>(second.api, ['jobs']);
  assert.equal(jobs.find((j) => j.name === job)?.version, 1);
  await cli(second.api, ['stop', job]);
});

test('an invalid job file exits 2 listing every problem and changes nothing', { timeout: 60_000 }, async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const m = await startUp(t);
  const bad = jobFile(t, 'bad', 'name: "Not A Name"\nimage: ""\ncount: -1\nports:\n  - { container: 99999 }\n');
  const r = await cli(m.api, ['run', bad]);
  assert.equal(r.code, 2, r.stderr);
  for (const path of ['name', 'image', 'count', 'ports[0].container']) {
    assert.match(r.stderr, new RegExp(path.replace(/[[\]]/g, '\\$&')), `mentions ${path}`);
  }
  const jobs = await cliJson<unknown[]>(m.api, ['jobs']);
  assert.deepEqual(jobs, []);
});

test('maestro up refuses clearly when Docker is not reachable', { timeout: 30_000 }, async (t) => {
  const { execFile } = await import('node:child_process');
  const { MAIN } = await import('./support.js');
  const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    execFile(process.execPath, [MAIN, 'up', '--docker-host', 'unix:///nonexistent/docker.sock', '--data-dir', '/tmp/maestro-nodocker'], { timeout: 20_000 }, (err, _out, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
    );
  });
  t.diagnostic(result.stderr);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /Docker is not reachable/);
  assert.match(result.stderr, /dockerd|systemctl start docker/);
});

test('an API bound off loopback requires its bearer token', { timeout: 60_000 }, async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const m = await startUp(t, { extra: ['--api-addr', '0.0.0.0:0', '--api-token', 'sesame'] });
  const port = m.addresses.api.split(':').pop();
  const url = `http://127.0.0.1:${port}`;
  const anonymous = await fetch(`${url}/v1/jobs`);
  assert.equal(anonymous.status, 401);
  assert.equal(((await anonymous.json()) as { error: { code: string } }).error.code, 'unauthorized');
  const wrong = await fetch(`${url}/v1/jobs`, { headers: { authorization: 'Bearer nope' } });
  assert.equal(wrong.status, 401);
  const right = await fetch(`${url}/v1/jobs`, { headers: { authorization: 'Bearer sesame' } });
  assert.equal(right.status, 200);
  assert.equal((await cli(url, ['jobs'])).code, 1, 'the CLI without a token fails');
  assert.equal((await cli(url, ['jobs', '--token', 'sesame'])).code, 0);
});

test('a changed spec rolls out as a new version, one replica at a time, keeping history', { timeout: 180_000 }, async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const job = `roll${Math.random().toString(36).slice(2, 7)}`;
  removeJobsAfter(t, job);
  const m = await startUp(t);
  const v1 = webJob(job, 2).replace('update: { maxParallel: 3, minHealthy: 1s }', 'update: { maxParallel: 1, minHealthy: 1s }');
  assert.equal((await cli(m.api, ['run', jobFile(t, job, v1), '--timeout', '90s'])).code, 0);
  const before = (await containersOf(job)).sort();

  const v2 = v1.replace('labels: { suite: e2e }', 'labels: { suite: e2e }\nenv: { RELEASE: "2" }');
  // While it rolls out, at least count - maxParallel = 1 replica stays healthy.
  let minHealthy = Infinity;
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const res = await fetch(`${m.api}/v1/allocations?job=${job}`);
      const { allocations } = (await res.json()) as { allocations: AllocView[] };
      minHealthy = Math.min(minHealthy, allocations.filter((a) => a.healthy && a.state === 'running').length);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const run = await cli(m.api, ['run', jobFile(t, `${job}-v2`, v2), '--timeout', '120s']);
  watching = false;
  await watcher;
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  assert.ok(minHealthy >= 1, `healthy replicas never fell below 1 during the rollout (min ${minHealthy})`);
  const ps = await cliJson<AllocView[]>(m.api, ['ps', job]);
  const live = ps.filter((a) => a.desired === 'run');
  assert.deepEqual(live.map((a) => a.jobVersion), [2, 2]);
  assert.deepEqual(live.map((a) => a.instance).sort(), [`${job}-0`, `${job}-1`], 'instance names survive the rollout');
  const after = (await containersOf(job)).sort();
  assert.equal(after.length, 2);
  assert.ok(after.every((id) => !before.includes(id)), 'every container was replaced');
  const env = await docker(['exec', after[0]!, 'env']);
  assert.match(env, /^RELEASE=2$/m);

  const history = await cliJson<Array<{ version: number }>>(m.api, ['history', job]);
  assert.deepEqual(history.map((h) => h.version).sort(), [1, 2]);
});
