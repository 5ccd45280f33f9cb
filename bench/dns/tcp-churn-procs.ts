/**
 * The processes of bench/dns/tcp-churn.ts: Maestro's DNS server (serve.js, as `maestro up` builds it:
 * startDnsServer with the default TCP limits) and NSD on the same zone, each pinned to one core; the
 * C load generator compiled from tcp-churn.c; and server CPU time read from /proc. dnsperf.ts starts
 * its servers the same way (kept separate so neither benchmark's options leak into the other's).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildQuery, tcpAsk } from '../../test/dns/wire-helpers.js';

export interface ServerProc {
  name: string;
  port: number;
  pid: number;
}

export const children: ChildProcess[] = [];
const here = dirname(fileURLToPath(import.meta.url));

/**
 * serve.js of this build (or of `buildDir`, another private tree: a before/after run), pinned to `core`.
 * `env` adds to this process's environment (MAESTRO_NATIVE=0: the `net` TCP path instead of the addon).
 */
export function startMaestro(name: string, core: string, shape: readonly number[], nodeArgs: string[], buildDir?: string, env: NodeJS.ProcessEnv = {}): Promise<ServerProc> {
  const script = buildDir ? join(buildDir, 'bench/dns/serve.js') : join(here, 'serve.js');
  return startNode(name, core, [...nodeArgs, script, '0', ...shape.map(String), 'auto'], env);
}

/** tcp-churn-floor.js: Node's own cost per connection, with no DNS server around it. */
export function startFloor(core: string): Promise<ServerProc> {
  return startNode('floor', core, [join(here, 'tcp-churn-floor.js')]);
}

/** A Node process pinned to `core` that prints "ready PORT" once it serves. */
async function startNode(name: string, core: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServerProc> {
  const child = spawn('taskset', ['-c', core, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  children.push(child);
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${name} exited (${code})`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      const m = /ready (\d+)/.exec(chunk.toString());
      if (m) resolve(Number(m[1]));
    });
  });
  return { name, port, pid: child.pid! };
}

/** NSD with its defaults for TCP (tcp-count 100, tcp-timeout 120 s), one server process, no RRL. */
export async function startNsd(core: string, dir: string): Promise<ServerProc> {
  const port = await freePort();
  const conf = join(dir, 'nsd.conf');
  const server = ['server-count: 1', 'username: ""', `zonesdir: "${dir}"`, 'database: ""', `pidfile: "${dir}/nsd.pid"`];
  server.push(`xfrdfile: "${dir}/xfrd.state"`, `zonelistfile: "${dir}/zone.list"`, `logfile: "${dir}/nsd.log"`);
  server.push('rrl-ratelimit: 0', 'rrl-whitelist-ratelimit: 0', `ip-address: 127.0.0.1@${port}`);
  const lines = ['server:', ...server.map((l) => `  ${l}`), 'remote-control:', '  control-enable: no'];
  writeFileSync(conf, [...lines, 'zone:', '  name: cluster', '  zonefile: cluster.zone', ''].join('\n'));
  const child = spawn('taskset', ['-c', core, 'nsd', '-d', '-c', conf], { stdio: 'ignore' });
  children.push(child);
  for (let i = 0; i < 100; i++) {
    const ok = await tcpAsk(port, buildQuery('cluster', 6), 200).then(() => true, () => false);
    if (ok) return { name: 'nsd', port, pid: child.pid! };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('nsd did not start');
}

/** Compiles tcp-churn.c (found in the package's bench/dns/, beside the compiled script's tree) into `dir`. */
export function buildLoadGenerator(dir: string): string {
  const source = join(packageRoot(here), 'bench/dns/tcp-churn.c');
  const out = join(dir, 'tcp-churn');
  execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', out, source], { stdio: 'inherit' });
  return out;
}

function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/**
 * CPU time in nanoseconds of a process, all its threads and all its descendants (NSD forks xfrd →
 * main → server): the run time of each task from schedstat, not 10 ms ticks, since a run of a few
 * thousand connections takes only tenths of a second of server CPU.
 */
export function cpuNs(pid: number): number {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // The process went away between readdir and read.
    }
  }
  const tree = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [p, ppid] of parents) if (!tree.has(p) && tree.has(ppid)) grew = tree.add(p) !== undefined;
  }
  let total = 0;
  for (const p of tree) {
    try {
      for (const tid of readdirSync(`/proc/${p}/task`)) total += Number(readFileSync(`/proc/${p}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // Gone meanwhile: what it ran is lost with it, as with any exited thread.
    }
  }
  return total;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
