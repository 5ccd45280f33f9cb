/**
 * The simulator processes (agents.ts) seen from the driver: started over a slice of hosts each,
 * followed over IPC, and at the end checked against etcd — every host saw exactly the allocations
 * etcd holds for it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createEtcdCatalog } from '../../src/catalog/etcd/index.js';
import { silentLogger } from '../../src/log/index.js';
import { keys } from '../../src/scheduler/types.js';
import type { AgentsConfig } from './agents.js';

const AGENTS = fileURLToPath(new URL('./agents.js', import.meta.url));

export interface Worker {
  child: ChildProcess;
  seen: number;
  lastSeenAt: number;
  final?: { perHost: Record<string, number>; statusesWritten: number };
}

export function startAgents(endpoint: string, prefix: string, hosts: number, agentProcs: number): Promise<Worker[]> {
  const per = Math.ceil(hosts / agentProcs);
  const starts: Promise<Worker>[] = [];
  for (let from = 0; from < hosts; from += per) {
    const cfg: AgentsConfig = { endpoint, prefix, from, to: Math.min(hosts, from + per), ttlMs: 60_000 };
    const child = fork(AGENTS, [JSON.stringify(cfg)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const w: Worker = { child, seen: 0, lastSeenAt: 0 };
    starts.push(new Promise((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`agent simulator exited (${code})`)));
      child.on('message', (m: { type: string; seen?: number; lastSeenAt?: number; perHost?: Record<string, number>; statusesWritten?: number }) => {
        if (m.type === 'watching') resolve(w);
        if (m.type === 'seen') Object.assign(w, { seen: m.seen, lastSeenAt: m.lastSeenAt });
        if (m.type === 'final') w.final = { perHost: m.perHost!, statusesWritten: m.statusesWritten! };
      });
    }));
  }
  return Promise.all(starts);
}

export async function until(what: string, deadline: number, ok: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every host saw exactly the allocations etcd holds for it. */
export async function verify(endpoint: string, prefix: string, replicas: number, workers: Worker[]): Promise<void> {
  for (const w of workers) w.child.send({ type: 'report' });
  await until('simulator reports', Date.now() + 30_000, () => workers.every((w) => w.final));
  const catalog = createEtcdCatalog({ endpoints: [endpoint], prefix, hostName: 'bench', logger: silentLogger, callTimeoutMs: 30_000 });
  try {
    const stored = new Map<string, number>();
    for (const e of (await catalog.kvList(keys.allocsPrefix)).value) {
      const host = e.key.slice(keys.allocsPrefix.length).split('/')[0]!;
      stored.set(host, (stored.get(host) ?? 0) + 1);
    }
    const total = [...stored.values()].reduce((a, b) => a + b, 0);
    if (total !== replicas) throw new Error(`etcd holds ${total} allocations, expected ${replicas}`);
    for (const w of workers) {
      for (const [host, n] of Object.entries(w.final!.perHost)) {
        if ((stored.get(host) ?? 0) !== n) throw new Error(`${host} saw ${n} allocations, etcd holds ${stored.get(host) ?? 0}`);
      }
    }
  } finally {
    await catalog.close();
  }
}

