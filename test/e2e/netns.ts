/**
 * Several "hosts" on one machine (ARCHITECTURE.md and README.md, "Try it: a three-host cluster"): a bridge in the root network namespace,
 * one network namespace per host with a veth into it, and in each namespace its own dockerd
 * (entered with nsenter, not `ip netns exec`, which remounts /sys and hides the cgroups).
 * Everything is torn down through `defer` (LIFO), also when setup fails halfway.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestContext } from 'node:test';
import { docker, ensureTestImage } from '../support/docker.js';
import { eventually } from '../support/wait.js';
import { defer, MAIN, type Addresses } from './support.js';

const exec = promisify(execFile);

export interface NetHost {
  /** Network namespace name, also used as the Maestro host name. */
  ns: string;
  /** The host's address on the bridge (its --advertise). */
  address: string;
  /** Root-side end of its veth: downing it partitions the host. */
  peer: string;
  /** DOCKER_HOST of its own dockerd. */
  dockerHost: string;
  dir: string;
  /** Stops its dockerd (containers stop with it). */
  stopDockerd(): Promise<void>;
}

export interface Lab {
  bridgeIp: string;
  hosts: NetHost[];
}

/** The command prefix that runs a program in a namespace's network only. */
export const inNs = (ns: string): string[] => ['nsenter', `--net=/var/run/netns/${ns}`];

/** Creates the bridge and `count` namespaced hosts with their own dockerd and the test image. */
export async function startLab(t: TestContext, count: number): Promise<Lab> {
  const tag = randomBytes(3).toString('hex');
  const routes = (await exec('ip', ['-4', 'route'])).stdout;
  let n = 0;
  do n = randomInt(0, 256);
  while (routes.includes(`10.213.${n}.`));
  const bridge = `mbr${tag}`;
  const bridgeIp = `10.213.${n}.1`;
  await exec('ip', ['link', 'add', 'name', bridge, 'type', 'bridge']);
  defer(t, () => exec('ip', ['link', 'del', bridge]).catch(() => undefined));
  await exec('ip', ['addr', 'add', `${bridgeIp}/24`, 'dev', bridge]);
  await exec('ip', ['link', 'set', bridge, 'up']);
  // Host-to-host traffic is bridged, and with br_netfilter loaded bridged frames traverse the root
  // namespace's FORWARD chain, whose policy the shared dockerd sets to DROP: allow our bridge only.
  const rule = ['FORWARD', '-i', bridge, '-o', bridge, '-j', 'ACCEPT'];
  await exec('iptables', ['-w', '-I', ...rule]);
  defer(t, () => exec('iptables', ['-w', '-D', ...rule]).catch(() => undefined));

  const hosts: NetHost[] = [];
  for (let i = 0; i < count; i++) {
    const letter = String.fromCharCode(97 + i);
    const ns = `mh${tag}${letter}`;
    const peer = `mv${tag}${letter}`;
    const address = `10.213.${n}.${i + 2}`;
    await exec('ip', ['netns', 'add', ns]);
    defer(t, () => exec('ip', ['netns', 'del', ns]).catch(() => undefined));
    await exec('ip', ['link', 'add', peer, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    defer(t, () => exec('ip', ['link', 'del', peer]).catch(() => undefined));
    await exec('ip', ['link', 'set', peer, 'master', bridge, 'up']);
    const ipn = (...args: string[]) => exec('ip', ['-n', ns, ...args]);
    await ipn('addr', 'add', `${address}/24`, 'dev', 'eth0');
    await ipn('link', 'set', 'eth0', 'up');
    await ipn('link', 'set', 'lo', 'up');
    hosts.push(await startDockerd(t, ns, address, peer, `mdk-${tag}${letter}`, `172.30.${randomInt(0, 256)}.1/24`));
  }
  await Promise.all(hosts.map((h) => ensureTestImage(h.dockerHost)));
  return { bridgeIp, hosts };
}

async function startDockerd(t: TestContext, ns: string, address: string, peer: string, cns: string, bip: string): Promise<NetHost> {
  const dir = mkdtempSync('/tmp/mhd-');
  defer(t, async () => {
    await exec('umount', ['-R', join(dir, 'exec')]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  });
  const dockerHost = `unix://${join(dir, 'docker.sock')}`;
  const args = [
    ...inNs(ns), 'dockerd',
    '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '-H', dockerHost,
    '--pidfile', join(dir, 'docker.pid'), '--bip', bip,
    '--containerd-namespace', cns, '--containerd-plugins-namespace', `${cns}-plugins`,
    // The namespace is the isolation: no iptables rules; published ports go through docker-proxy.
    '--iptables=false', '--ip-masq=false', '--shutdown-timeout', '1', '--log-level', 'warn',
  ];
  const log = openSync(join(dir, 'dockerd.log'), 'a');
  const child: ChildProcess = spawn(args[0]!, args.slice(1), { stdio: ['ignore', log, log] });
  closeSync(log);
  const stopDockerd = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  defer(t, async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const ids = (await docker(['ps', '-aq'], { dockerHost }).catch(() => '')).split('\n').filter(Boolean);
      if (ids.length) await docker(['rm', '-f', ...ids], { dockerHost, timeoutMs: 20_000 }).catch(() => undefined);
    }
    await stopDockerd();
  });
  await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`dockerd in ${ns} exited: ${readFileSync(join(dir, 'dockerd.log'), 'utf8').slice(-2000)}`);
    return docker(['info', '--format', '{{.ServerVersion}}'], { dockerHost, timeoutMs: 5_000 }).then(() => true, () => false);
  }, 30_000, `dockerd in ${ns}`);
  return { ns, address, peer, dockerHost, dir, stopDockerd };
}

/** A TCP forwarder listenHost:0 → 127.0.0.1:targetPort (the fake Consul binds loopback only). */
export async function forward(t: TestContext, listenHost: string, targetPort: number): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createServer((inbound) => {
    const outbound = connect(targetPort, '127.0.0.1');
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => { inbound.destroy(); outbound.destroy(); });
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, listenHost, resolve));
  defer(t, () => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return (server.address() as { port: number }).port;
}

export interface NsAgent {
  host: string;
  addresses: Addresses;
  proc: ChildProcess;
  logs(): string;
  /** SIGKILL: the process dies as in a crash (no deregistration, no lock release). */
  kill(): Promise<void>;
  exited(): boolean;
}

/**
 * `maestro agent` inside a host's namespace (support.ts' startRole, behind nsenter): DNS, L7 and
 * L4 listeners on the host's own address, Docker through its own dockerd, on the fake Consul.
 */
export function startAgentIn(t: TestContext, h: NetHost, consul: string, extra: string[] = []): Promise<NsAgent> {
  return startRoleIn(t, h, 'agent', ['--consul', consul, ...extra]);
}

/**
 * A Maestro role inside a host's namespace. `agent` listens for DNS, L7 and L4 on the host's own
 * address and uses the host's dockerd; `server` gets its own data directory and whatever API address
 * `args` gives it. `args` carries the catalog flags (`--consul URL` or `--etcd URLS`) and any others.
 */
export async function startRoleIn(t: TestContext, h: NetHost, role: 'agent' | 'server', args: string[]): Promise<NsAgent> {
  const dataDir = join(h.dir, role === 'agent' ? 'maestro' : `maestro-${role}`);
  // Each role takes only the flags of the parts it runs (`server --dns-addr` is a usage error).
  const roleArgs = role === 'agent'
    ? ['--docker-host', h.dockerHost, '--advertise', h.address, '--dns-addr', `${h.address}:0`, '--http-addr', `${h.address}:0`, '--proxy-bind', h.address, '--resync', '2s']
    : ['--api-addr', '127.0.0.1:0'];
  const argv = [
    ...inNs(h.ns), process.execPath, MAIN, role,
    '--data-dir', dataDir, '--host', role === 'agent' ? h.ns : `${h.ns}-${role}`,
    ...roleArgs, '--log-level', 'info', ...args,
  ];
  rmSync(join(dataDir, 'addresses.json'), { force: true });
  const proc = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  proc.stdout!.resume();
  let exited: number | null | undefined;
  const exit = new Promise<void>((resolve) => proc.on('exit', (code, signal) => { exited = code ?? (signal ? -1 : null); resolve(); }));
  const kill = async () => {
    if (exited === undefined) proc.kill('SIGKILL');
    await exit;
  };
  defer(t, async () => {
    if (exited === undefined) proc.kill('SIGTERM');
    // Short: a partitioned agent may hang deregistering from a catalog it cannot reach.
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await exit;
    clearTimeout(timer);
  });
  const file = join(dataDir, 'addresses.json');
  await eventually(() => {
    if (exited !== undefined) throw new Error(`maestro ${role} in ${h.ns} exited with ${exited}:\n${stderr.slice(-3000)}`);
    return existsSync(file);
  }, 30_000, `maestro ${role} in ${h.ns} to write addresses.json`);
  return {
    host: h.ns, addresses: JSON.parse(readFileSync(file, 'utf8')) as Addresses, proc,
    logs: () => stderr, kill, exited: () => exited !== undefined,
  };
}
