/**
 * The usage the service keeps between passes (LiveUsage) against the oracle of a usage built from
 * scratch (ClusterUsage) over the same allocations: after random job, allocation and host changes,
 * and after a pass's charges are rolled back, every host's cpu, memory, ports and job counts match.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostStatus } from '../../src/catalog/types.js';
import { ClusterUsage, LiveUsage, seededRng, type HostSlot } from '../../src/scheduler/placement/index.js';
import type { Allocation, Job } from '../../src/scheduler/types.js';
import { mockHost, mockJob } from './support/fixtures.js';

function shape(slots: readonly HostSlot[]) {
  return slots.map((s) => ({ host: s.host.name, index: s.index, cpu: s.cpu, memory: s.memory, ports: [...s.ports].sort(), jobs: [...s.jobs].sort() }));
}

test('live usage: equals a usage rebuilt from scratch after random changes and rolled-back passes', () => {
  const rng = seededRng(7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
  const jobs = new Map<string, Job>();
  const specs = () => [100, 250, 500].map((cpu, i) => ({ cpu, memory: 64 << i }));
  const allocs = new Map<string, Allocation>();
  const hosts = new Map<string, HostStatus>();
  const live = new LiveUsage();
  let id = 0;
  for (let round = 0; round < 300; round++) {
    const r = rng();
    if (r < 0.15 || hosts.size === 0) {
      const name = `h${Math.floor(rng() * 12)}`;
      const h = rng() < 0.2 && hosts.has(name) ? undefined : mockHost(name, { alive: rng() > 0.2 });
      if (h) hosts.set(name, h);
      else hosts.delete(name);
      live.setHosts([[name, h]]);
      // A host that comes back brings its allocations' charges with it: its jobs are re-synced.
      for (const job of new Set([...allocs.values()].filter((a) => a.host === name).map((a) => a.job))) live.syncAllocs(job, [...allocs.values()].filter((a) => a.job === job));
      continue;
    }
    const job = `j${Math.floor(rng() * 6)}`;
    if (r < 0.3) {
      const res = pick(specs());
      const spec = mockJob(job, { resources: res, ports: rng() < 0.3 ? [{ container: 80, host: 8000 + Math.floor(rng() * 3) }] : [] });
      jobs.set(job, spec);
      live.setJob(job, spec);
    } else if (r < 0.75) {
      const a: Allocation = { id: `a${id++}`, job, ordinal: 0, host: pick([...hosts.keys()]), jobVersion: 1, desired: 'run', createdAt: 0 };
      allocs.set(a.id, a);
    } else {
      const mine = [...allocs.values()].filter((a) => a.job === job);
      if (mine.length === 0) continue;
      const a = pick(mine);
      if (rng() < 0.5) allocs.delete(a.id);
      else allocs.set(a.id, { ...a, desired: 'stop' });
    }
    live.syncAllocs(job, [...allocs.values()].filter((a) => a.job === job));

    // A pass plans on the live usage, then its charges are undone.
    live.beginPass();
    for (const a of [...allocs.values()].slice(0, 3)) live.remove(a);
    const spec = jobs.get(job);
    if (spec && hosts.size) live.add(pick([...hosts.keys()]), spec);
    live.rollback();

    const oracle = new ClusterUsage({ hosts: [...hosts.values()], allocations: [...allocs.values()], jobs });
    assert.deepEqual(shape(live.slots), shape(oracle.slots), `round ${round}`);
    assert.deepEqual([...live.presentJobs()].sort(), [...oracle.presentJobs()].sort(), `round ${round}: jobs present`);
  }
});
