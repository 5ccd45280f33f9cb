/**
 * Volumes as a user runs them (built CLI, real Docker): a Redis-like replica keeps a key written
 * into its named volume across `maestro stop` + `maestro run` and across a rolling update; a host
 * path under --allow-host-path is mounted read-only; one outside it is refused with the reason in
 * `maestro ps`. No redis image is reachable here: busybox writes the key into the volume.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AllocView } from '../../src/api/index.js';
import { docker, dockerOrSkip, TEST_IMAGE } from '../support/docker.js';
import { eventually } from '../support/wait.js';
import { cli, cliJson, defer, jobFile, removeJobsAfter, startUp } from './support.js';

function kvJob(name: string, confDir: string, version: string): string {
  // "redis": serves nothing, keeps its keys as files under /data (the named volume).
  return `name: ${name}
image: ${TEST_IMAGE}
entrypoint: ["/bin/sh", "-c"]
command: ["trap 'exit 0' TERM; while :; do sleep 1; done"]
workingDir: /data
stopSignal: SIGTERM
stopGracePeriod: 5s
env: { VERSION: "${version}" }
volumes:
  - { name: data, path: /data }
  - { host: ${confDir}, path: /conf, readOnly: true }
resources: { cpu: 10, memory: 32 }
update: { maxParallel: 1, minHealthy: 1s }
`;
}

async function replica(api: string, job: string): Promise<AllocView> {
  return eventually(async () => {
    const ps = await cliJson<AllocView[]>(api, ['ps', job]);
    return ps.find((a) => a.desired === 'run' && a.state === 'running' && a.containerIds.length > 0);
  }, 60_000, `${job}-0 running`);
}

const inside = (id: string, cmd: string) => docker(['exec', id, 'sh', '-c', cmd]);

test('a named volume keeps its data across stop + run and a rolling update; host paths only under --allow-host-path', { timeout: 300_000 }, async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const job = `kv${Math.random().toString(36).slice(2, 7)}`;
  const volume = `${job}-0-data`;
  // Steps run last-in, first-out: Maestro stops, then the containers go, then the volume (no longer in use).
  defer(t, async () => {
    await docker(['volume', 'rm', '-f', volume]);
    assert.equal(await docker(['volume', 'ls', '-q', '--filter', `name=^${volume}$`]), '', 'the test leaves no volume behind');
  });
  removeJobsAfter(t, job, `${job}x`);
  const allowed = mkdtempSync(join(tmpdir(), 'maestro-allowed-'));
  t.after(() => rmSync(allowed, { recursive: true, force: true }));
  chmodSync(allowed, 0o755);
  mkdirSync(join(allowed, 'conf'));
  writeFileSync(join(allowed, 'conf', 'kv.conf'), 'appendonly yes\n');
  symlinkSync('/etc', join(allowed, 'escape'));

  const m = await startUp(t, { extra: ['--allow-host-path', allowed] });
  const conf = join(allowed, 'conf');

  const first = await cli(m.api, ['run', jobFile(t, job, kvJob(job, conf, '1')), '--timeout', '90s']);
  assert.equal(first.code, 0, `maestro run failed: ${first.stdout}\n${first.stderr}`);
  const a = await replica(m.api, job);
  const c1 = a.containerIds[0]!;
  assert.equal(await inside(c1, 'pwd'), '/data');
  assert.equal(await inside(c1, 'cat /conf/kv.conf'), 'appendonly yes');
  await assert.rejects(inside(c1, 'echo no > /conf/kv.conf'), /Read-only file system/);
  // SET greeting hello
  await inside(c1, 'echo hello > /data/greeting');
  assert.equal(await docker(['volume', 'inspect', '--format', '{{index .Labels "maestro.instance"}}', volume]), `${job}-0`);

  // maestro stop: the container goes, the volume stays.
  const stop = await cli(m.api, ['stop', job]);
  assert.equal(stop.code, 0, stop.stderr);
  await eventually(async () => (await docker(['ps', '-aq', '--filter', `label=maestro.job=${job}`])) === '', 60_000, 'containers removed');
  assert.equal(await docker(['volume', 'ls', '-q', '--filter', `name=^${volume}$`]), volume);

  // maestro run again: a new container, the same data. GET greeting
  const again = await cli(m.api, ['run', jobFile(t, job, kvJob(job, conf, '1')), '--timeout', '90s']);
  assert.equal(again.code, 0, `maestro run failed: ${again.stdout}\n${again.stderr}`);
  const b = await replica(m.api, job);
  assert.notEqual(b.containerIds[0], c1);
  assert.equal(await inside(b.containerIds[0]!, 'cat /data/greeting'), 'hello');
  await inside(b.containerIds[0]!, 'echo world > /data/second');

  // A rolling update to version 2: replaced, same data.
  const update = await cli(m.api, ['run', jobFile(t, job, kvJob(job, conf, '2')), '--timeout', '90s']);
  assert.equal(update.code, 0, `maestro run (update) failed: ${update.stdout}\n${update.stderr}`);
  const c = await eventually(async () => {
    const r = await replica(m.api, job);
    return r.jobVersion > b.jobVersion ? r : undefined;
  }, 60_000, 'the new version running');
  assert.notEqual(c.containerIds[0], b.containerIds[0]);
  assert.equal(await inside(c.containerIds[0]!, 'echo $VERSION; cat /data/greeting /data/second'), '2\nhello\nworld');

  // A host path that leaves the allowed prefix through a symlink is refused, with the reason shown.
  const escaping = `${job}x`;
  const bad = `name: ${escaping}\nimage: ${TEST_IMAGE}\ncommand: ["sleep", "3600"]\nvolumes: [{ host: ${join(allowed, 'escape')}, path: /x }]\nresources: { cpu: 10, memory: 32 }\n`;
  await cli(m.api, ['run', jobFile(t, escaping, bad), '--timeout', '5s']);
  const refused = await eventually(async () => {
    const ps = await cliJson<AllocView[]>(m.api, ['ps', escaping]);
    // In its message or its events, whichever the view shows.
    return ps.find((x) => /outside the agent's allowed prefixes/.test(JSON.stringify(x)));
  }, 60_000, 'the refusal in maestro ps');
  assert.match(JSON.stringify(refused), /\(it resolves to \/etc\)/);
  assert.equal(await docker(['ps', '-aq', '--filter', `label=maestro.job=${escaping}`]), '', 'nothing was created');
  await cli(m.api, ['stop', escaping]);
});
