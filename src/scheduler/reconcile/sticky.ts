import type { Pin } from '../placement/index.js';
import { instanceName, namedVolumes, type Job, type VolumeHome } from '../types.js';
import type { PassContext } from './context.js';

/**
 * Sticky placement for replicas with named volumes. The record of where a replica's volumes live is
 * the scheduler's own (`VolumeHome`, written with the placement that created them), because the
 * allocation that last ran the replica is deleted once stopped, and `maestro stop` + `maestro run`
 * must still find the data. A replica is pinned to its home while that host is alive or within its
 * grace period; once the host is lost (down past the grace period, or gone) it is placed freely and
 * its old home is remembered as *left behind*, which `maestro status` reports.
 */
export function splitByHome(ctx: PassContext, job: Job, ordinals: readonly number[]): { pinned: Pin[]; free: number[] } {
  const homes = ctx.homesOf(job);
  if (!homes || namedVolumes(job).length === 0) return { pinned: [], free: [...ordinals] };
  const pinned: Pin[] = [];
  const free: number[] = [];
  for (const ordinal of ordinals) {
    const home = homes.get(ordinal);
    const state = home ? ctx.hosts.get(home.host) : undefined;
    if (home && (state === 'alive' || state === 'grace')) pinned.push({ ordinal, host: home.host });
    else free.push(ordinal);
  }
  return { pinned, free };
}

/** The record to write when replica `ordinal` of `job` is placed on `host`, or undefined when the stored one holds. */
export function nextHome(job: Job, previous: VolumeHome | undefined, host: string, now: number): VolumeHome | undefined {
  const volumes = namedVolumes(job);
  if (volumes.length === 0) return undefined;
  if (previous && previous.host === host) {
    // A new version may add volumes: the record lists every volume the host holds for the replica.
    const all = [...new Set([...previous.volumes, ...volumes])];
    return all.length === previous.volumes.length ? undefined : { ...previous, volumes: all };
  }
  const home: VolumeHome = { host, volumes, at: now };
  if (previous) {
    // Moved off a lost host: its copy stays there. Landing again on a host left behind earlier
    // reuses what is there, so that host is no longer "behind".
    const left = [...(previous.leftBehind ?? []), { host: previous.host, volumes: previous.volumes, at: now }].filter((l) => l.host !== host);
    home.leftBehind = left.slice(-8);
  }
  return home;
}

/**
 * `redis-1 moved to h2; its volumes (data) stay behind on h1`, for each replica of the job still
 * wanted whose home record (this pass's, else the stored one) remembers hosts it left.
 */
export function leftBehindNotes(job: Job, homes: Iterable<[number, VolumeHome]>): string[] {
  const notes: string[] = [];
  for (const [ordinal, home] of homes) {
    if (!job.global && ordinal >= job.count) continue;
    for (const left of home.leftBehind ?? []) {
      notes.push(`${instanceName(job.name, ordinal)} moved to ${home.host}; its volumes (${left.volumes.join(', ')}) stay behind on ${left.host}`);
    }
  }
  return notes;
}

/** A copy of the stored homes of one job's replicas, by ordinal (the pass adds its own to it). */
export function homesOf(ctx: PassContext, job: Job): Map<number, VolumeHome> {
  return new Map(ctx.homesOf(job));
}

/** Volume homes keyed by `claimKey`, grouped per job and ordinal once (not scanned per job). */
export function homesByJob(homes: ReadonlyMap<string, VolumeHome>): Map<string, Map<number, VolumeHome>> {
  const out = new Map<string, Map<number, VolumeHome>>();
  for (const [key, home] of homes) {
    const slash = key.lastIndexOf('/');
    const ordinal = Number(key.slice(slash + 1));
    if (slash < 0 || !Number.isInteger(ordinal) || ordinal < 0) continue;
    const job = key.slice(0, slash);
    let m = out.get(job);
    if (!m) out.set(job, (m = new Map()));
    m.set(ordinal, home);
  }
  return out;
}
