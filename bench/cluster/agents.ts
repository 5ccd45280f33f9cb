/**
 * Simulated host agents (Nomad's node simulators): no Docker, only the catalog side of an agent.
 * Run as a child process by run.ts, one per slice of hosts (`--agent-procs`), so 5,000 agents cost a
 * few processes, not 5,000 watches:
 *
 * - every host registers with its own session (an etcd lease, TTL 60 s) through the catalog port,
 *   exactly as `maestro agent` does, and renews it every 20 s;
 * - ONE etcd watch per process covers the key range of all its hosts' allocations
 *   (`<prefix>kv/maestro/allocs/sim-00000/` … up to the next slice) — an agent's own watch on
 *   `maestro/allocs/<host>/` is that range cut per host, so what each host "sees" is exactly the
 *   events a per-host watch would deliver; the process routes each event to its host;
 * - each newly seen `desired: run` allocation is reported running and healthy with the status record
 *   the agent writes (`AllocStatus`, src/agent), through the port's `kvTxn`, up to 127 statuses per
 *   transaction across the process's hosts (a fleet sends them as separate puts from 5,000
 *   processes; etcd groups concurrent proposals into one raft batch and one fsync either way).
 *
 * Reports to the parent over IPC: hosts registered, allocations seen (count and when the last new one
 * arrived), and at the end how many each host saw, for the parent to compare with etcd.
 */
import { Etcd3, Range } from 'etcd3';
import { createEtcdCatalog } from '../../src/catalog/etcd/index.js';
import type { TxnOp } from '../../src/catalog/types.js';
import { silentLogger } from '../../src/log/index.js';
import { keys, type Allocation, type AllocStatus } from '../../src/scheduler/types.js';

export interface AgentsConfig {
  endpoint: string;
  prefix: string;
  from: number;
  to: number;
  ttlMs: number;
}

export const hostName = (i: number): string => `sim-${String(i).padStart(5, '0')}`;

const cfg = JSON.parse(process.argv[2]!) as AgentsConfig;
const catalog = createEtcdCatalog({ endpoints: [cfg.endpoint], prefix: cfg.prefix, hostName: 'bench-agents', logger: silentLogger, callTimeoutMs: 10_000 });
const etcd = new Etcd3({ hosts: [cfg.endpoint], grpcOptions: { 'grpc.max_receive_message_length': 256 * 1024 * 1024 } });
const send = (m: unknown) => process.send!(m);

const hosts: string[] = [];
for (let i = cfg.from; i < cfg.to; i++) hosts.push(hostName(i));
const sessions = new Map<string, string>();
const seenPerHost = new Map<string, number>(hosts.map((h) => [h, 0]));
const seenIds = new Set<string>();
const pending: TxnOp[] = [];
let seen = 0;
let lastSeenAt = 0;
let statusesWritten = 0;

async function pool<T>(items: T[], width: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

async function register(): Promise<void> {
  const started = performance.now();
  await pool(hosts, 32, async (name) => {
    const session = await catalog.createSession({ name: `host:${name}`, ttlMs: cfg.ttlMs });
    sessions.set(name, session);
    await catalog.registerHost({ name, address: '127.0.0.1', meta: { sim: 'yes' }, capacity: { cpu: 64_000, memory: 262_144 } }, session);
  });
  send({ type: 'registered', hosts: hosts.length, ms: performance.now() - started });
}

function onAlloc(value: Buffer, at: number): void {
  let a: Allocation;
  try {
    a = JSON.parse(value.toString()) as Allocation;
  } catch {
    return;
  }
  if (a.desired !== 'run' || seenIds.has(a.id)) return;
  seenIds.add(a.id);
  seenPerHost.set(a.host, (seenPerHost.get(a.host) ?? 0) + 1);
  seen++;
  lastSeenAt = at;
  const status: AllocStatus = { allocId: a.id, state: 'running', containerIds: [`sim-${a.id}`], healthy: true, healthySince: at, updatedAt: at };
  pending.push({ verb: 'put', key: keys.allocStatus(a.host, a.id), value: JSON.stringify(status) });
}

async function watchAllocs(): Promise<void> {
  const base = `${cfg.prefix}kv/${keys.allocsPrefix}`;
  const watcher = await etcd.watch().inRange(new Range(`${base}${hostName(cfg.from)}/`, `${base}${hostName(cfg.to)}/`)).only('put').create();
  watcher.on('put', (kv) => onAlloc(kv.value, Date.now()));
}

/** Writes queued statuses: up to maxTxnOps per transaction, 4 transactions in flight. */
async function flushLoop(): Promise<void> {
  for (;;) {
    if (!pending.length) {
      await new Promise((r) => setTimeout(r, 20));
      continue;
    }
    const batches: TxnOp[][] = [];
    while (pending.length && batches.length < 4) batches.push(pending.splice(0, catalog.maxTxnOps));
    await Promise.all(batches.map(async (b) => {
      try {
        await catalog.kvTxn(b);
        statusesWritten += b.length;
      } catch {
        pending.push(...b); // etcd busy: retried with the next round
      }
    }));
  }
}

async function renewLoop(): Promise<void> {
  for (;;) {
    await new Promise((r) => setTimeout(r, cfg.ttlMs / 3));
    await pool([...sessions.values()], 16, async (s) => void (await catalog.renewSession(s).catch(() => false)));
  }
}

process.on('message', (m: { type: string }) => {
  if (m.type === 'report') send({ type: 'final', perHost: Object.fromEntries(seenPerHost), statusesWritten });
});
process.on('disconnect', () => process.exit(0));

await register();
await watchAllocs();
send({ type: 'watching' });
void flushLoop();
void renewLoop();
let reported = -1;
setInterval(() => {
  if (seen === reported) return;
  reported = seen;
  send({ type: 'seen', seen, lastSeenAt, statusesWritten });
}, 200);
