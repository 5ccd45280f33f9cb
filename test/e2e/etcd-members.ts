/**
 * A real three-member etcd cluster for the lab: one `etcd` per namespaced host, each on its own
 * address (client 2379, peer 2380) with its own data directory, started with nsenter like the
 * host's dockerd. Members can be killed and restarted on the same data directory (a member down,
 * quorum lost, quorum back). Everything stops through `defer`, also when the test fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { eventually } from '../support/wait.js';
import { inNs, type NetHost } from './netns.js';
import { defer } from './support.js';

export interface EtcdMember {
  name: string;
  host: NetHost;
  clientUrl: string;
  /** SIGKILLs the member (its data directory stays). */
  kill(): Promise<void>;
  /** Starts it again on the same data directory; resolves once it answers /health. */
  start(): Promise<void>;
  running(): boolean;
}

export interface EtcdCluster {
  members: EtcdMember[];
  /** Every member's client URL, comma-separated, as `--etcd` takes them. */
  endpoints: string;
}

const CLIENT_PORT = 2379;
const PEER_PORT = 2380;

/** Starts one etcd member on each host and waits until the cluster has a leader. */
export async function startEtcdCluster(t: TestContext, hosts: readonly NetHost[]): Promise<EtcdCluster> {
  const token = `lab-${hosts[0]!.ns}`;
  const initial = hosts.map((h) => `${h.ns}=http://${h.address}:${PEER_PORT}`).join(',');
  const members = hosts.map((h) => member(t, h, initial, token));
  await Promise.all(members.map((m) => m.start()));
  const endpoints = members.map((m) => m.clientUrl).join(',');
  await eventually(() => healthy(members[0]!.clientUrl), 30_000, 'etcd cluster to elect a leader');
  return { members, endpoints };
}

function member(t: TestContext, host: NetHost, initial: string, token: string): EtcdMember {
  const dataDir = join(host.dir, 'etcd');
  const clientUrl = `http://${host.address}:${CLIENT_PORT}`;
  let child: ChildProcess | undefined;
  let started = false;
  const alive = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  const kill = async () => {
    if (!alive()) return;
    const exited = new Promise<void>((r) => child!.once('exit', () => r()));
    child!.kill('SIGKILL');
    await exited;
  };
  defer(t, kill);
  return {
    name: host.ns,
    host,
    clientUrl,
    running: alive,
    kill,
    async start() {
      if (alive()) return;
      const args = [
        ...inNs(host.ns), 'etcd',
        '--name', host.ns, '--data-dir', dataDir,
        '--listen-client-urls', clientUrl, '--advertise-client-urls', clientUrl,
        '--listen-peer-urls', `http://${host.address}:${PEER_PORT}`,
        '--initial-advertise-peer-urls', `http://${host.address}:${PEER_PORT}`,
        '--initial-cluster', initial, '--initial-cluster-token', token,
        // A restarted member rejoins with its data directory; the flag only matters the first time.
        '--initial-cluster-state', started ? 'existing' : 'new',
        // Lab links are a virtual bridge: faster elections than etcd's WAN-friendly defaults.
        '--heartbeat-interval', '100', '--election-timeout', '1000',
        // A member back from a partition would otherwise force an election with its higher term
        // (etcd 3.5 turns pre-vote on by default; 3.4 does not).
        '--pre-vote',
        '--log-level', 'warn', '--logger', 'zap',
      ];
      const log = openSync(join(host.dir, 'etcd.log'), 'a');
      child = spawn(args[0]!, args.slice(1), { stdio: ['ignore', log, log] });
      closeSync(log);
      started = true;
      const self = child;
      await eventually(async () => {
        if (self.exitCode !== null) throw new Error(`etcd in ${host.ns} exited: ${readFileSync(join(host.dir, 'etcd.log'), 'utf8').slice(-2000)}`);
        return listening(clientUrl);
      }, 30_000, `etcd member ${host.ns} to listen`);
    },
  };
}

/** True once the member answers at all (it may still be waiting for its peers). */
async function listening(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/version`, { signal: AbortSignal.timeout(1_000) });
    return true;
  } catch {
    return false;
  }
}

/** True when the member reports a healthy cluster (a leader, and a quorum read succeeded). */
export async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
    const body = (await res.json()) as { health?: string };
    return body.health === 'true';
  } catch {
    return false;
  }
}
