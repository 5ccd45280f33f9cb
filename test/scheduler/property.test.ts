import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostStatus } from '../../src/catalog/types.js';
import { anyGlob, ClusterUsage, demandOf, JobFeasibility, seededRng, type Rng } from '../../src/scheduler/placement/index.js';
import { reconcile } from '../../src/scheduler/reconcile/index.js';
import type { Allocation, Job, JobRecord } from '../../src/scheduler/types.js';
import { mockHost, mockJob } from './support/fixtures.js';

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
const int = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));

function randomCluster(rng: Rng): HostStatus[] {
  const n = int(rng, 0, 120);
  return Array.from({ length: n }, (_, i) =>
    mockHost(`${pick(rng, ['db', 'web', 'gpu'])}-${i}`, {
      alive: rng() > 0.1,
      cpu: pick(rng, [0, 500, 1_000, 4_000]),
      memory: pick(rng, [256, 1_024, 4_096]),
      meta: { disk: pick(rng, ['ssd', 'hdd']), zone: pick(rng, ['a', 'b', 'c']) },
    }),
  );
}

function randomJobs(rng: Rng): Job[] {
  const jobs: Job[] = [];
  const n = int(rng, 1, 8);
  for (let i = 0; i < n; i++) {
    const constraints: Record<string, unknown> = {};
    if (rng() < 0.3) constraints.hosts = [pick(rng, ['db-*', 'web-*', 'gpu-1*', '*'])];
    if (rng() < 0.3) constraints.hostMeta = { disk: pick(rng, ['ssd', 'hdd']) };
    if (rng() < 0.3) constraints.distinctHosts = true;
    else if (rng() < 0.3) constraints.maxPerHost = int(rng, 1, 3);
    const plain = jobs.filter((j) => j.constraints.colocateWith === undefined);
    if (rng() < 0.15 && plain.length) constraints.colocateWith = pick(rng, plain).name;
    if (rng() < 0.2) constraints.conflictsWith = [pick(rng, ['job-1', 'job-*', 'nothing'])];
    const ports = rng() < 0.2 ? [{ container: 80, host: pick(rng, [8080, 8081]) }] : [];
    const global = rng() < 0.15;
    jobs.push(
      mockJob(`job-${i}`, {
        ...(global ? { global: true } : { count: int(rng, 0, 60) }),
        resources: { cpu: pick(rng, [0, 50, 250, 900]), memory: pick(rng, [64, 256, 1_000]) },
        ports,
        strategy: pick(rng, ['spread', 'binpack']),
        constraints,
      }),
    );
  }
  return jobs;
}

/** Every invariant placement promises, checked from scratch on the final allocations. */
function checkInvariants(hosts: HostStatus[], jobs: Job[], allocs: Allocation[], seed: number): void {
  const byHost = new Map(hosts.map((h) => [h.name, h]));
  const specs = new Map(jobs.map((j) => [j.name, j]));
  const on = new Map<string, Allocation[]>();
  for (const a of allocs) {
    const list = on.get(a.host) ?? [];
    list.push(a);
    on.set(a.host, list);
  }
  const ctx = `seed ${seed}`;
  for (const [hostName, list] of on) {
    const host = byHost.get(hostName)!;
    assert.ok(host.alive, `${ctx}: placed on down host ${hostName}`);
    let cpu = 0;
    let memory = 0;
    const ports = new Set<string>();
    const count = new Map<string, number>();
    for (const a of list) {
      const job = specs.get(a.job)!;
      const d = demandOf(job);
      cpu += d.cpu;
      memory += d.memory;
      for (const p of d.ports) {
        assert.ok(!ports.has(p), `${ctx}: port ${p} twice on ${hostName}`);
        ports.add(p);
      }
      count.set(a.job, (count.get(a.job) ?? 0) + 1);
      const c = job.constraints;
      if (c.hosts) assert.ok(anyGlob(c.hosts)!.test(hostName), `${ctx}: ${a.job} on ${hostName} outside ${c.hosts}`);
      for (const [k, v] of Object.entries(c.hostMeta ?? {})) assert.equal(host.meta[k], v, `${ctx}: ${a.job} hostMeta`);
    }
    assert.ok(cpu <= host.capacity.cpu, `${ctx}: cpu over capacity on ${hostName}`);
    assert.ok(memory <= host.capacity.memory, `${ctx}: memory over capacity on ${hostName}`);
    for (const [name, n] of count) {
      const c = specs.get(name)!.constraints;
      const limit = c.distinctHosts || specs.get(name)!.global ? 1 : (c.maxPerHost ?? Infinity);
      assert.ok(n <= limit, `${ctx}: ${n} of ${name} on ${hostName} (limit ${limit})`);
      if (c.colocateWith) assert.ok(count.has(c.colocateWith), `${ctx}: ${name} not next to ${c.colocateWith}`);
      const conflicts = anyGlob(c.conflictsWith);
      for (const other of count.keys()) {
        if (other !== name) assert.ok(!conflicts?.test(other), `${ctx}: ${name} shares ${hostName} with ${other}`);
      }
    }
  }
}

test('property: placement never violates a constraint or a capacity, and leaves nothing unplaced that fits', () => {
  for (let seed = 1; seed <= 300; seed++) {
    const rng = seededRng(seed);
    const hosts = randomCluster(rng);
    const jobs = randomJobs(rng);
    const records: JobRecord[] = jobs.map((job) => ({ job, version: 1, submittedAt: 0, stopped: false }));
    const plan = reconcile({ now: 0, hosts, jobs: records, allocations: [], statuses: new Map(), hostDownSince: new Map(), graceMs: 10_000, seed });
    checkInvariants(hosts, jobs, plan.place, seed);

    const final = new ClusterUsage({ hosts, allocations: plan.place, jobs: new Map(jobs.map((j) => [j.name, j])) });
    for (const ev of plan.evaluations) {
      const job = jobs.find((j) => j.name === ev.job)!;
      const placed = plan.place.filter((a) => a.job === job.name).length;
      const unplaced = ev.failures.reduce((n, f) => n + f.unplaced, 0);
      if (!job.global) {
        assert.equal(placed + unplaced, job.count, `seed ${seed}: ${job.name} placed + unplaced = count`);
      }
      if (unplaced === 0) continue;
      // Completeness: a replica is left unplaced only if no host could take it, even now.
      const feas = new JobFeasibility(final, job);
      const open = final.slots.filter((s) => (job.global ? feas.staticReason(s) === undefined && !s.jobs.has(job.name) : true) && feas.check(s) === undefined);
      assert.deepEqual(open.map((s) => s.host.name), [], `seed ${seed}: ${job.name} left unplaced but fits`);
      if (!job.global) {
        const f = ev.failures[0]!;
        const explained = Object.values(f.filtered).reduce((a, b) => a + b, 0) + Object.values(f.exhausted).reduce((a, b) => a + b, 0);
        assert.equal(explained, hosts.length, `seed ${seed}: every host explained for ${job.name}`);
      }
    }
  }
});

test('property: the same seed replays the same plan', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const make = () => {
      const rng = seededRng(seed);
      const hosts = randomCluster(rng);
      const jobs = randomJobs(rng).map((job) => ({ job, version: 1, submittedAt: 0, stopped: false }));
      return reconcile({ now: 0, hosts, jobs, allocations: [], statuses: new Map(), hostDownSince: new Map(), graceMs: 10_000, seed });
    };
    assert.deepEqual(make(), make());
  }
});
