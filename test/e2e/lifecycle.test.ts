import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AllocView, JobDetail } from '../../src/api/index.js';
import { docker, dockerOrSkip, TEST_IMAGE } from '../support/docker.js';
import { eventually } from '../support/wait.js';
import { cli, cliJson, jobFile, removeJobsAfter, startUp } from './support.js';

/** `maestro rollback` and `maestro restart` as a user runs them: built CLI, `maestro up`, real Docker. */

const COUNT = 3;
const MAX_PARALLEL = 1;

function job(name: string, word: string): string {
  return `name: ${name}
image: ${TEST_IMAGE}
command: ["sh", "-c", "echo serving ${word}; exec sleep 3600"]
count: ${COUNT}
resources: { cpu: 10, memory: 32 }
update: { maxParallel: ${MAX_PARALLEL}, minHealthy: 1s }
`;
}

/** The running containers of a job: id → the command they run. */
async function containers(name: string): Promise<Map<string, string>> {
  const ids = (await docker(['ps', '-q', '--filter', `label=maestro.job=${name}`])).split('\n').filter(Boolean);
  const out = new Map<string, string>();
  for (const id of ids) out.set(id, await docker(['inspect', '-f', '{{join .Config.Cmd " "}}', id]));
  return out;
}

test('rollback returns to the earlier command as a new version; restart replaces every replica, never below count − maxParallel healthy', { timeout: 300_000 }, async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const name = `lf${Math.random().toString(36).slice(2, 7)}`;
  removeJobsAfter(t, name);
  const m = await startUp(t);
  for (const word of ['one', 'two']) {
    const r = await cli(m.api, ['run', jobFile(t, `${name}-${word}`, job(name, word)), '--timeout', '120s']);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  }
  await eventually(async () => {
    const cmds = [...(await containers(name)).values()];
    return cmds.length === COUNT && cmds.every((c) => c.includes('serving two'));
  }, 60_000, 'version 2 everywhere');

  const back = await cli(m.api, ['rollback', name, '--wait', '--timeout', '120s']);
  assert.equal(back.code, 0, `${back.stdout}\n${back.stderr}`);
  assert.match(back.stdout, new RegExp(`job ${name}: rolling back to version 1's spec as version 3`));
  assert.match(back.stdout, /version 3 rolled out, 3\/3 replicas healthy/);
  const history = await cliJson<Array<{ version: number; note?: string; job: JobDetail['job'] }>>(m.api, ['history', name]);
  assert.deepEqual(history.map((v) => [v.version, v.note ?? '', v.job.containers[0]!.command!.join(' ')]), [
    [1, '', 'sh -c echo serving one; exec sleep 3600'],
    [2, '', 'sh -c echo serving two; exec sleep 3600'],
    [3, 'rollback to version 1', 'sh -c echo serving one; exec sleep 3600'],
  ]);
  const human = await cli(m.api, ['history', name]);
  assert.match(human.stdout, /rollback to version 1/);
  const rolledBack = await eventually(async () => {
    const c = await containers(name);
    return c.size === COUNT && [...c.values()].every((cmd) => cmd.includes('serving one')) ? c : undefined;
  }, 60_000, 'only version-1 commands running');
  const logs = await eventually(async () => {
    const r = await cli(m.api, ['logs', `${name}-0`]);
    return r.stdout.includes('serving') ? r : undefined;
  }, 20_000, 'the rolled-back replica\'s output');
  assert.equal(logs.stdout, 'serving one\n');

  // Restart: every replica gets a new container, one at a time, the others healthy meanwhile.
  const before = new Set(rolledBack.keys());
  const restart = await cli(m.api, ['restart', name]);
  assert.equal(restart.code, 0, restart.stderr);
  assert.match(restart.stdout, new RegExp(`job ${name}: restarting as version 4 \\(1 replica\\(s\\) at a time\\)`));
  let minHealthy = Infinity;
  let samples = 0;
  await eventually(async () => {
    const ps = await cliJson<AllocView[]>(m.api, ['ps', name]);
    const healthy = ps.filter((a) => a.desired === 'run' && a.state === 'running' && a.healthy);
    minHealthy = Math.min(minHealthy, healthy.length);
    samples++;
    return healthy.length === COUNT && healthy.every((a) => a.jobVersion === 4);
  }, 120_000, 'every replica restarted and healthy');
  console.log(`# restart: at least ${minHealthy} of ${COUNT} replicas healthy in ${samples} samples`);
  assert.ok(samples > 1, 'the rollout was watched while it ran');
  assert.ok(minHealthy >= COUNT - MAX_PARALLEL, `only ${minHealthy} healthy at some point (count ${COUNT}, maxParallel ${MAX_PARALLEL})`);
  const after = await eventually(async () => {
    const c = await containers(name);
    return c.size === COUNT ? c : undefined;
  }, 30_000, 'the old containers gone');
  for (const id of after.keys()) assert.ok(!before.has(id), `container ${id} survived the restart`);
  assert.ok([...after.values()].every((cmd) => cmd.includes('serving one')), 'the restart kept the spec');
  const final = (await cliJson<JobDetail>(m.api, ['status', name]));
  assert.equal(final.version, 4);
  assert.equal(final.state, 'healthy');

  // Nothing to go back to that differs? Version 4 = 3 = 1: the default target is version 2.
  const again = await cli(m.api, ['rollback', name, '--json']);
  assert.equal(again.code, 0);
  assert.equal(JSON.parse(again.stdout).target, 2);
  const unknown = await cli(m.api, ['rollback', name, '42']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /has no version 42/);
  assert.equal((await cli(m.api, ['rollback', name, 'latest'])).code, 2);
  assert.equal((await cli(m.api, ['restart', 'no-such-job'])).code, 1);
});
