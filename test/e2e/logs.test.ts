import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import type { AllocView } from '../../src/api/index.js';
import { FakeConsul } from '../catalog/fake-consul/server.js';
import { docker, dockerOrSkip, TEST_IMAGE } from '../support/docker.js';
import { eventually } from '../support/wait.js';
import { MAIN, cli, cliJson, defer, jobFile, removeJobsAfter, startRole, startUp } from './support.js';

const execFileP = promisify(execFile);

/**
 * `maestro logs` as a user runs it: the built CLI against `maestro up` (the API reads its own host's
 * containers in-process) and against a `maestro server` whose replicas run on two `maestro agent`s
 * (the server asks each replica's agent over HTTP with that agent's token).
 */

/** Prints its lines, then one more once /tmp/go exists (written by the test after following started). */
function chattyJob(name: string, count: number, extra = ''): string {
  return `name: ${name}
image: ${TEST_IMAGE}
command: ["sh", "-c", "echo line-1 on $MAESTRO_HOST; echo line-2; echo err-1 >&2; while [ ! -f /tmp/go ]; do sleep 0.2; done; echo after-follow; exec sleep 3600"]
count: ${count}
resources: { cpu: 10, memory: 32 }
${extra}`;
}

/** `maestro logs … -f` as a child process, its output collected as it comes. */
function follow(api: string, args: string[]) {
  const proc = spawn(process.execPath, [MAIN, 'logs', ...args, '-f', '--api', api], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((resolve) => proc.on('exit', resolve));
  return { proc, out: () => stdout, err: () => stderr, exit };
}

async function containerOf(job: string, host: string): Promise<string> {
  const ids = (await docker(['ps', '-q', '--filter', `label=maestro.job=${job}`, '--filter', `label=maestro.host=${host}`])).split('\n').filter(Boolean);
  assert.equal(ids.length, 1, `one container of ${job} on ${host}`);
  return ids[0]!;
}

test('maestro logs on one host: output, stderr apart, --tail, -f gets a line written after it started', { timeout: 180_000 }, async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const job = `lg${Math.random().toString(36).slice(2, 7)}`;
  removeJobsAfter(t, job);
  const m = await startUp(t);
  const run = await cli(m.api, ['run', jobFile(t, job, chattyJob(job, 1)), '--timeout', '90s']);
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  const instance = `${job}-0`;

  const all = await eventually(async () => {
    const r = await cli(m.api, ['logs', instance]);
    return r.code === 0 && r.stderr.includes('err-1') && r.stdout.includes('line-2') ? r : undefined;
  }, 20_000, 'the replica wrote its lines');
  assert.equal(all.stdout, `line-1 on ${m.host}\nline-2\n`);
  assert.equal(all.stderr, 'err-1\n');

  // Which two lines are last is Docker's to say: it copies stdout and stderr on separate pipes, so
  // err-1 may be logged before line-1. `docker logs --tail 2` is the reference.
  const container = await containerOf(job, m.host);
  const tail = await cli(m.api, ['logs', instance, '--tail', '2']);
  assert.equal(tail.code, 0);
  const ref = await execFileP('docker', ['logs', '--tail', '2', container]);
  assert.equal(tail.stdout, ref.stdout);
  assert.equal(tail.stderr, ref.stderr);
  assert.equal(`${tail.stdout}${tail.stderr}`.split('\n').filter(Boolean).length, 2);
  const none = await cli(m.api, ['logs', instance, '--tail', '0']);
  assert.equal(`${none.stdout}${none.stderr}`, '');
  const since = await cli(m.api, ['logs', instance, '--since', '1h', '--timestamps']);
  assert.match(since.stdout, /^\d{4}-\d{2}-\d{2}T[\d:.]+Z line-1 on /);
  const future = await cli(m.api, ['logs', instance, '--since', new Date(Date.now() + 3_600_000).toISOString()]);
  assert.equal(`${future.stdout}${future.stderr}`, '', 'nothing was written in the future');

  // The JSON records, for scripts.
  const json = await cli(m.api, ['logs', instance, '--json']);
  assert.deepEqual(json.stdout.trim().split('\n').map((l) => JSON.parse(l).stream).sort(), ['stderr', 'stdout', 'stdout']);

  const f = follow(m.api, [instance]);
  defer(t, () => f.proc.kill('SIGKILL'));
  await eventually(() => f.out().includes('line-2'), 20_000, `logs -f to print the existing lines (stderr: ${f.err()})`);
  assert.doesNotMatch(f.out(), /after-follow/);
  await docker(['exec', container, 'touch', '/tmp/go']);
  await eventually(() => f.out().includes('after-follow\n'), 20_000, 'logs -f to print the line written after it started');
  f.proc.kill('SIGINT');
  await f.exit;

  // Usage errors and unknown replicas.
  const unknown = await cli(m.api, ['logs', `${job}-7`]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, new RegExp(`no allocation or instance named ${job}-7`));
  assert.match(unknown.stderr, /maestro ps/);
  assert.equal((await cli(m.api, ['logs', instance, '--tail', 'many'])).code, 2);
  assert.equal((await cli(m.api, ['logs', instance, '--since', 'last week'])).code, 2);
});

test('maestro logs in a cluster: the server reads each replica from its own host\'s agent, which refuses anyone without its token', { timeout: 240_000 }, async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const consul = await FakeConsul.start({ timeScale: 0.3, checkTimeScale: 1 });
  defer(t, () => consul.close());
  const job = `lc${Math.random().toString(36).slice(2, 7)}`;
  removeJobsAfter(t, job);
  const flags = ['--consul', consul.url];
  const server = await startRole(t, 'server', { host: `${job}-srv`, extra: flags });
  const agents = [
    await startRole(t, 'agent', { host: `${job}-a1`, extra: [...flags, '--agent-addr', '127.0.0.1:0'] }),
    await startRole(t, 'agent', { host: `${job}-a2`, extra: [...flags, '--agent-addr', '127.0.0.1:0'] }),
  ];
  await eventually(async () => (await cliJson<{ name: string; alive: boolean }[]>(server.api, ['hosts'])).filter((h) => h.name.startsWith(job) && h.alive).length === 2, 20_000, 'both agents registered');
  const run = await cli(server.api, ['run', jobFile(t, job, chattyJob(job, 2, 'constraints: { distinctHosts: true }')), '--timeout', '90s']);
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  const placed = await cliJson<AllocView[]>(server.api, ['ps', job]);
  assert.deepEqual(placed.map((a) => a.host).sort(), agents.map((a) => a.host).sort());

  // Neither agent runs in the server's process: every line below crossed from an agent to the server.
  for (const a of placed) {
    const r = await eventually(async () => {
      const got = await cli(server.api, ['logs', a.instance]);
      return got.stderr.includes('err-1') && got.stdout.includes('line-2') ? got : undefined;
    }, 20_000, `logs of ${a.instance}`);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `line-1 on ${a.host}\nline-2\n`, `${a.instance} read from ${a.host}`);
  }

  const remote = placed[0]!;
  const f = follow(server.api, [remote.instance]);
  defer(t, () => f.proc.kill('SIGKILL'));
  await eventually(() => f.out().includes('line-2'), 20_000, `logs -f through the server (stderr: ${f.err()})`);
  await docker(['exec', await containerOf(job, remote.host), 'touch', '/tmp/go']);
  await eventually(() => f.out().includes('after-follow\n'), 20_000, 'the followed line, from the other host');
  f.proc.kill('SIGINT');
  await f.exit;

  // The agents' endpoints answer nobody without the token they published in the catalog.
  for (const agent of agents) {
    const addr = (agent.addresses as unknown as { agentLogs?: string }).agentLogs;
    assert.ok(addr, `${agent.host} lists its log endpoint in addresses.json`);
    const alloc = placed.find((a) => a.host === agent.host)!;
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer guessed' }]) {
      const res = await fetch(`http://${addr}/v1/logs/${alloc.id}?container=main`, { headers });
      const body = await res.text();
      assert.equal(res.status, 401, `${agent.host} without its token`);
      assert.doesNotMatch(body, /line-1/);
    }
  }
});
