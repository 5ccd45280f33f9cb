/**
 * A private dockerd for tests that must break a daemon: own data/exec roots, socket, pidfile,
 * containerd namespace and a bridge created here, so restarting it never disturbs the shared one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, openSync, closeSync, rmSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { docker } from '../support/docker.js';

const exec = promisify(execFile);

export interface OwnDockerd {
  /** DOCKER_HOST for this daemon (`unix://…`). */
  host: string;
  /** Stops the daemon (its containers stop with it) and waits until it has exited. */
  stop(): Promise<void>;
  /** Starts it again with the same roots and waits until it answers. */
  start(): Promise<void>;
  /** Removes containers, stops the daemon, deletes the bridge and the directories. */
  destroy(): Promise<void>;
}

export async function startOwnDockerd(): Promise<OwnDockerd> {
  const dir = mkdtempSync('/tmp/mdk-');
  const tag = randomBytes(3).toString('hex');
  const bridge = `mbr${tag}`;
  const routes = (await exec('ip', ['-4', 'route'])).stdout;
  let subnet = '';
  do subnet = `10.${randomInt(200, 250)}.${randomInt(0, 256)}`;
  while (routes.includes(`${subnet}.`));
  await exec('ip', ['link', 'add', 'name', bridge, 'type', 'bridge']);
  await exec('ip', ['addr', 'add', `${subnet}.1/24`, 'dev', bridge]);
  await exec('ip', ['link', 'set', bridge, 'up']);

  const host = `unix://${join(dir, 'd.sock')}`;
  const args = [
    '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '-H', host,
    '--pidfile', join(dir, 'd.pid'), '--bridge', bridge,
    '--containerd-namespace', `mdk-${tag}`, '--containerd-plugins-namespace', `mdk-${tag}-plugins`,
    // No iptables: the shared daemon's rules stay untouched; published ports go through docker-proxy.
    '--iptables=false', '--ip-masq=false', '--shutdown-timeout', '2', '--log-level', 'warn',
  ];
  let child: ChildProcess | undefined;

  const start = async () => {
    const log = openSync(join(dir, 'dockerd.log'), 'a');
    child = spawn('dockerd', args, { stdio: ['ignore', log, log] });
    closeSync(log);
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await docker(['info', '--format', '{{.ServerVersion}}'], { dockerHost: host, timeoutMs: 5_000 });
        return;
      } catch (err) {
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`own dockerd did not come up: ${readFileSync(join(dir, 'dockerd.log'), 'utf8').slice(-2000)}`, { cause: err });
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  };

  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };

  const destroy = async () => {
    if (child?.exitCode === null) {
      const ids = (await docker(['ps', '-aq'], { dockerHost: host }).catch(() => '')).split('\n').filter(Boolean);
      if (ids.length) await docker(['rm', '-f', ...ids], { dockerHost: host }).catch(() => undefined);
    }
    await stop();
    await exec('ip', ['link', 'del', bridge]).catch(() => undefined);
    await exec('umount', ['-R', join(dir, 'exec')]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  };

  try {
    await start();
  } catch (err) {
    await destroy();
    throw err;
  }
  return { host, stop, start, destroy };
}
