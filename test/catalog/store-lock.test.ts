// One process per store directory: a second opener is refused with the holder's pid; a holder gone
// (SIGKILL, reboot, reused pid) does not lock the directory forever; racing newcomers cannot both win;
// and a second `maestro up` on one --data-dir exits 1 naming the first one's pid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import { CLI, maestro } from '../cli/helpers.js';
import { dockerOrSkip } from '../support/docker.js';
import { eventually } from '../support/wait.js';
import { startChild, tempDir, type Child } from './fixtures/store-support.js';

const inUse = (pid: number) => new RegExp(`is in use: (maestro pid ${pid} on|this process \\(pid ${pid}\\))`);

test('a second open in the same process is refused until the first is closed', async (t) => {
  const dir = tempDir(t);
  const first = createEmbeddedCatalog({ dataDir: dir });
  assert.throws(() => createEmbeddedCatalog({ dataDir: dir }), { code: 'unavailable', message: inUse(process.pid) });
  await first.close();
  const second = createEmbeddedCatalog({ dataDir: dir });
  await second.close();
});

test('another live process holds the directory; once it is SIGKILLed the lock is taken over', { timeout: 30_000 }, async (t) => {
  const dir = tempDir(t);
  const holder = startChild(dir, ['script', JSON.stringify([{ op: 'put', key: 'k', value: 'v' }])]);
  t.after(() => holder.kill());
  await holder.until((a) => a.some((x) => x.op === 'step'), 'the holder wrote');
  assert.throws(() => createEmbeddedCatalog({ dataDir: dir }), { code: 'unavailable', message: inUse(holder.proc.pid!) });
  await holder.kill();
  const catalog = createEmbeddedCatalog({ dataDir: dir });
  assert.equal((await catalog.kvGet('k')).value?.value, 'v');
  await catalog.close();
});

/** Fields after the process name in /proc/<pid>/stat: [0] is the state, [19] the start time. */
const stat = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');

test('a lock left by a dead pid, a zombie, a reused pid or a previous boot is stale; one from another host is not', async (t) => {
  const dir = tempDir(t);
  mkdirSync(dir, { recursive: true });
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  // A killed holder its parent has not reaped yet: `sleep` execs over the shell and never waits.
  const parent = spawn('sh', ['-c', 'sleep 0.05 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.after(() => parent.kill('SIGKILL'));
  const zombie = Number(await new Promise<string>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(d.toString()))));
  await eventually(() => stat(zombie)[0] === 'Z', 5_000, 'the holder to be a zombie');
  const host = hostname();
  const stale = [
    { pid: zombie, start: stat(zombie)[19], host, since: 'then' },
    { pid: Number(dead), host, since: 'then' },
    { pid: process.pid, start: '1', host, since: 'then' }, // this pid, but another process's start time
    { pid: 1, start: '1', boot: 'another-boot', host, since: 'then' },
    { pid: process.pid, host, since: 'then', released: true },
  ];
  let n = 1;
  for (const holder of stale) {
    writeFileSync(join(dir, `lock.${n}`), JSON.stringify(holder));
    const catalog = createEmbeddedCatalog({ dataDir: dir });
    await catalog.close();
    n += 2; // the open took n + 1
  }
  writeFileSync(join(dir, `lock.${n}`), JSON.stringify({ pid: 1, host: 'elsewhere', since: 'then' }));
  assert.throws(() => createEmbeddedCatalog({ dataDir: dir }), /maestro pid 1 on elsewhere holds it[\s\S]*remove .*lock\.\* by hand/);
});

test('six processes racing for a directory with a stale lock: exactly one wins, the others name it', { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'lock.7'), JSON.stringify({ pid: 999_999_999, host: hostname(), since: 'then' }));
  const children: Child[] = Array.from({ length: 6 }, () => startChild(dir, ['hold']));
  t.after(() => Promise.all(children.map((c) => c.kill())));
  const decided = (c: Child) => c.acks.length > 0 || c.proc.exitCode !== null;
  await eventually(() => children.every(decided), 30_000, 'every child either opened the store or exited');
  const winners = children.filter((c) => c.acks.some((a) => a.op === 'open'));
  assert.equal(winners.length, 1, `one winner, not ${winners.length}`);
  for (const c of children) {
    if (c !== winners[0]) assert.match(c.stderr(), inUse(winners[0]!.proc.pid!));
  }
});

test('a second `maestro up` on one --data-dir exits 1 naming the first one\'s pid', { timeout: 90_000 }, async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const dataDir = tempDir(t, 'maestro-up-lock-');
  const flags = (host: string) => ['--data-dir', dataDir, '--host', host, '--advertise', '127.0.0.1', '--dns-addr', '127.0.0.1:0', '--http-addr', '127.0.0.1:0', '--api-addr', '127.0.0.1:0', '--proxy-bind', '127.0.0.1'];
  const first = spawn(process.execPath, [CLI, 'up', ...flags('lock-a')], { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH ?? '' } });
  let log = '';
  first.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise((resolve) => first.on('exit', resolve));
  t.after(async () => {
    first.kill('SIGKILL');
    await exited;
  });
  await eventually(() => existsSync(join(dataDir, 'addresses.json')), 30_000, `the first maestro up to start:\n${log}`);

  const second = await maestro(['up', ...flags('lock-b')], {}, 30_000);
  assert.equal(second.code, 1, second.stderr);
  assert.match(second.stderr, new RegExp(`maestro: catalog: the catalog in ${join(dataDir, 'catalog')} is in use: maestro pid ${first.pid} on`));
  assert.match(second.stderr, /give this one its own --data-dir/);
  assert.equal(first.exitCode, null, 'the first one still runs');
});
