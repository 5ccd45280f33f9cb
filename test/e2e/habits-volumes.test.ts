/**
 * `maestro volumes` as a user runs it (built CLI, real Docker, `maestro up`): a replica's named
 * volume is listed with its host and its user; `rm` is refused while the replica is placed, and
 * after `maestro stop` removes the Docker volume and forgets its home.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeConsul } from '../catalog/fake-consul/server.js';
import { docker, dockerOrSkip, TEST_IMAGE } from '../support/docker.js';
import { eventually } from '../support/wait.js';
import { cli, cliJson, defer, jobFile, removeJobsAfter, startRole, startUp } from './support.js';

interface Volume {
  job: string;
  ordinal: number;
  name: string;
  volume: string;
  host: string;
  copy: string;
  usedBy?: string;
}

/** A replica that owns the named volume `data`. */
const volumeJob = (job: string) => `name: ${job}
image: ${TEST_IMAGE}
command: ["sh", "-c", "trap 'exit 0' TERM; echo kept > /data/key; while :; do sleep 1; done"]
stopSignal: SIGTERM
volumes:
  - { name: data, path: /data }
resources: { cpu: 10, memory: 32 }
update: { minHealthy: 1s }
`;

const volumeExists = async (name: string) => (await docker(['volume', 'ls', '-q', '--filter', `name=^${name}$`])) === name;

test('maestro volumes: ls shows the volume and its user; rm is refused while the replica is placed, then removes it after stop', { timeout: 240_000 }, async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const job = `vh${Math.random().toString(36).slice(2, 7)}`;
  const volume = `${job}-0-data`;
  defer(t, async () => {
    if (await volumeExists(volume)) await docker(['volume', 'rm', '-f', volume]);
  });
  removeJobsAfter(t, job);
  const m = await startUp(t);
  const file = jobFile(t, job, volumeJob(job));
  const run = await cli(m.api, ['run', file, '--timeout', '1m30s']);
  assert.equal(run.code, 0, run.stderr);
  assert.ok(await volumeExists(volume), 'the agent created the named volume');

  const placed = await eventually(async () => {
    const list = await cliJson<Volume[]>(m.api, ['volumes', 'ls', '--job', job]);
    return list.length === 1 && list[0]!.usedBy ? list : undefined;
  }, 30_000, 'the volume listed with its replica');
  assert.deepEqual({ ...placed[0]!, usedBy: 'x' }, { ...placed[0]!, job, ordinal: 0, name: 'data', volume, host: m.host, copy: 'current', usedBy: 'x' });
  const table = await cli(m.api, ['volumes', 'ls', '--host', m.host]);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, new RegExp(`^VOLUME\\s+INSTANCE\\s+NAME\\s+HOST\\s+COPY\\s+IN USE\\s+AGE\\n${volume}\\s+${job}-0\\s+data\\s+${m.host}\\s+current\\s+yes \\(`));

  const refused = await cli(m.api, ['volumes', 'rm', job, '0', 'data']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, new RegExp(`error: volume ${volume} is in use: replica ${job}-0 is placed on ${m.host} \\(allocation [^)]+\\); stop the job \\(maestro stop ${job}\\)`));
  assert.match(refused.stderr, new RegExp(`\`maestro ps ${job}\` shows where`));
  assert.ok(await volumeExists(volume), 'a refused rm leaves the volume');

  const stop = await cli(m.api, ['stop', job]);
  assert.equal(stop.code, 0, stop.stderr);
  // Docker refuses to remove a volume while a container, even a stopped one, holds it.
  await eventually(async () => (await docker(['ps', '-aq', '--filter', `label=maestro.job=${job}`])) === '', 60_000, "the replica's container removed");
  const kept = await cliJson<Volume[]>(m.api, ['volumes', 'ls', '--job', job]);
  assert.equal(kept.length, 1, 'a stopped job keeps its volume');
  assert.equal(kept[0]!.usedBy, undefined);

  const rm = await cli(m.api, ['volumes', 'rm', job, '0', 'data']);
  assert.equal(rm.code, 0, rm.stderr);
  assert.equal(rm.stdout, `removed volume ${volume} on ${m.host}\n`);
  assert.equal(await volumeExists(volume), false, 'the Docker volume is gone');
  assert.equal((await cli(m.api, ['volumes', 'ls', '--job', job])).stdout, 'No volumes.\n');

  const again = await cli(m.api, ['volumes', 'rm', job, '0', 'data']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, new RegExp(`no volume data of replica ${job}-0 is kept \\(see maestro volumes ls\\)`));
  const bad = await cli(m.api, ['volumes', 'rm', job, 'first', 'data']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /ordinal must be a whole number/);
  const badName = await cli(m.api, ['volumes', 'rm', job, '0', 'Data!']);
  assert.equal(badName.code, 2, badName.stderr);
  assert.match(badName.stderr, /"Data!" is not a volume name/);
});

test('maestro volumes rm in a cluster: the server asks the agent of the volume\'s host, with its token', { timeout: 240_000 }, async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const consul = await FakeConsul.start({ timeScale: 0.3, checkTimeScale: 1 });
  defer(t, () => consul.close());
  const job = `vc${Math.random().toString(36).slice(2, 7)}`;
  const volume = `${job}-0-data`;
  defer(t, async () => {
    if (await volumeExists(volume)) await docker(['volume', 'rm', '-f', volume]);
  });
  removeJobsAfter(t, job);
  const flags = ['--consul', consul.url];
  const server = await startRole(t, 'server', { host: `${job}-srv`, extra: flags });
  const agent = await startRole(t, 'agent', { host: `${job}-a1`, extra: [...flags, '--agent-addr', '127.0.0.1:0'] });
  await eventually(async () => (await cliJson<{ name: string; alive: boolean }[]>(server.api, ['hosts'])).some((h) => h.name === agent.host && h.alive), 20_000, 'the agent registered');
  const run = await cli(server.api, ['run', jobFile(t, job, volumeJob(job)), '--timeout', '1m30s']);
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  assert.ok(await volumeExists(volume));
  const listed = await cliJson<Volume[]>(server.api, ['volumes', 'ls', '--host', agent.host]);
  assert.deepEqual(listed.map((v) => [v.volume, v.host]), [[volume, agent.host]]);

  assert.equal((await cli(server.api, ['volumes', 'rm', job, '0', 'data'])).code, 1, 'refused while placed');
  assert.equal((await cli(server.api, ['stop', job])).code, 0);
  await eventually(async () => (await docker(['ps', '-aq', '--filter', `label=maestro.job=${job}`])) === '', 60_000, "the replica's container removed");
  // The server process has no Docker of its own: the volume can only go through the agent.
  const rm = await cli(server.api, ['volumes', 'rm', job, '0', 'data']);
  assert.equal(rm.code, 0, rm.stderr);
  assert.equal(rm.stdout, `removed volume ${volume} on ${agent.host}\n`);
  assert.equal(await volumeExists(volume), false);
  assert.deepEqual(await cliJson<Volume[]>(server.api, ['volumes', 'ls']).then((l) => l.filter((v) => v.job === job)), []);
});
