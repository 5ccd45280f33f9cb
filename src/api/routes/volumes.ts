/**
 * Replica volumes, which Maestro keeps until asked (src/agent/README.md): `GET /v1/volumes` lists
 * them from the volume homes (`maestro/volume-homes/<job>/<ordinal>`: the current host and the hosts
 * a replica was moved off), each with whether a placed replica uses it; `DELETE
 * /v1/volumes/:job/:ordinal/:name` removes one — refused with 409 while a replica of that job and
 * ordinal is placed — by asking each host that holds a copy to remove the Docker volume
 * (src/agent/volumes/), then takes it out of the volume home (deleting the home once empty).
 */
import { LogsError } from '../../agent/logs/errors.js';
import { dockerVolumeOf, parseVolumeRef, type VolumeRef, type VolumeRemoval } from '../../agent/volumes/local.js';
import type { VolumeRemover } from '../../agent/volumes/client.js';
import type { Catalog } from '../../catalog/types.js';
import { instanceName, keys, type VolumeHome } from '../../state/index.js';
import type { Blocker } from '../blocking.js';
import type { Cluster } from '../cluster.js';
import { ApiError } from '../errors.js';
import { page, pageQuery } from '../paging.js';
import type { Router } from '../router.js';

export interface VolumeRouteOptions {
  catalog: Catalog;
  /** Removes a replica volume on a host (its agent, or this process's own); absent: DELETE answers 503. */
  remove?: VolumeRemover;
}

/** One replica volume on one host, as `GET /v1/volumes` lists it. */
export interface VolumeView {
  job: string;
  ordinal: number;
  instance: string;
  /** Its name in the job spec. */
  name: string;
  /** The Docker volume on `host`. */
  volume: string;
  host: string;
  /** `current`: where the replica is placed back; `left-behind`: a host it was moved off. */
  copy: 'current' | 'left-behind';
  /** The placed allocation of that replica on this host, if any. */
  usedBy?: string;
  since: number;
}

export function volumeRoutes(router: Router, cluster: Cluster, blocker: Blocker, opts: VolumeRouteOptions): void {
  const { view } = cluster;

  router.add('GET', '/v1/volumes', async (req) => {
    const params = req.url.searchParams;
    const paging = pageQuery(params);
    const headers = await blocker.wait(req);
    const job = params.get('job') ?? undefined;
    const host = params.get('host') ?? undefined;
    const all = listVolumes(cluster, job).filter((v) => host === undefined || v.host === host);
    const { items, headers: next } = page(all, keyOf, paging, (v) => v);
    return { json: { volumes: items }, headers: { ...headers, ...next } };
  });

  router.add('DELETE', '/v1/volumes/:job/:ordinal/:name', async (req) => {
    const ref = refOf(req.params);
    const volume = dockerVolumeOf(ref);
    const placed = view.allocsOfJob(ref.job).filter((a) => a.ordinal === ref.ordinal && a.desired === 'run');
    if (placed.length) {
      const a = placed[0]!;
      throw new ApiError('conflict', `volume ${volume} is in use: replica ${instanceName(ref.job, ref.ordinal)} is placed on ${a.host} (allocation ${a.id}); ` +
        `stop the job (maestro stop ${ref.job}) or scale it to ${ref.ordinal} replicas or fewer, then remove it`);
    }
    const entry = (await opts.catalog.kvGet(keys.volumeHome(ref.job, ref.ordinal))).value;
    const home = entry ? parseHome(entry.value) : undefined;
    const hosts = home ? hostsHolding(home, ref.name) : [];
    if (!hosts.length) throw new ApiError('not_found', `no volume ${ref.name} of replica ${instanceName(ref.job, ref.ordinal)} is kept (see maestro volumes ls)`);
    if (!opts.remove) throw new ApiError('unavailable', 'this API server removes no volumes (started without a way to reach the agents)');
    const removed: { host: string; volume: string; result: VolumeRemoval }[] = [];
    for (const host of hosts) {
      let result: VolumeRemoval;
      try {
        result = await opts.remove(host, ref);
      } catch (err) {
        throw err instanceof LogsError ? new ApiError(err.code === 'bad_request' ? 'bad_request' : 'unavailable', err.message) : err;
      }
      if (result === 'in_use') {
        throw new ApiError('conflict', `a container on ${host} still holds ${volume} (a stopped replica not removed yet?); retry in a moment`);
      }
      removed.push({ host, volume, result });
    }
    await forget(opts.catalog, ref);
    return { json: { removed } };
  });
}

function refOf(params: Record<string, string>): VolumeRef {
  try {
    return parseVolumeRef(params.job ?? '', params.ordinal ?? '', params.name ?? '');
  } catch (err) {
    throw new ApiError('bad_request', (err as Error).message);
  }
}

/** Sorted by job, ordinal, name, host: a stable order for paging. */
function keyOf(v: VolumeView): string {
  return `${v.job}\u0000${String(v.ordinal).padStart(6, '0')}\u0000${v.name}\u0000${v.host}`;
}

export function listVolumes(cluster: Cluster, job?: string): VolumeView[] {
  const { view } = cluster;
  const prefix = job === undefined ? keys.volumeHomesPrefix : keys.volumeHomePrefix(job);
  const out: VolumeView[] = [];
  for (const entry of view.kvPrefix(prefix)) {
    const [jobName, ordinalText] = entry.key.slice(keys.volumeHomesPrefix.length).split('/');
    const ordinal = Number(ordinalText);
    const home = parseHome(entry.value);
    if (!jobName || !Number.isInteger(ordinal) || !home) continue;
    const placed = view.allocsOfJob(jobName).filter((a) => a.ordinal === ordinal && a.desired === 'run');
    const add = (host: string, names: string[], copy: VolumeView['copy'], since: number) => {
      const usedBy = placed.find((a) => a.host === host)?.id;
      for (const name of names) {
        out.push({ job: jobName, ordinal, instance: instanceName(jobName, ordinal), name, volume: dockerVolumeOf({ job: jobName, ordinal, name }), host, copy, ...(usedBy ? { usedBy } : {}), since });
      }
    };
    add(home.host, home.volumes, 'current', home.at);
    for (const left of home.leftBehind ?? []) add(left.host, left.volumes, 'left-behind', left.at);
  }
  return out.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
}

function parseHome(text: string): VolumeHome | undefined {
  try {
    const h = JSON.parse(text) as VolumeHome;
    return typeof h?.host === 'string' && Array.isArray(h.volumes) ? h : undefined;
  } catch {
    return undefined;
  }
}

function hostsHolding(home: VolumeHome, name: string): string[] {
  const hosts = [home.volumes.includes(name) ? home.host : undefined, ...(home.leftBehind ?? []).filter((l) => l.volumes.includes(name)).map((l) => l.host)];
  return [...new Set(hosts.filter((h): h is string => h !== undefined))];
}

/**
 * Takes the volume out of its home, compare-and-set against the scheduler writing the same key; the
 * home goes once it keeps no volume anywhere (the replica is then placed freely again).
 */
async function forget(catalog: Catalog, ref: VolumeRef): Promise<void> {
  const key = keys.volumeHome(ref.job, ref.ordinal);
  for (let attempt = 0; attempt < 5; attempt++) {
    const entry = (await catalog.kvGet(key)).value;
    const home = entry ? parseHome(entry.value) : undefined;
    if (!entry || !home) return;
    const leftBehind = (home.leftBehind ?? []).map((l) => ({ ...l, volumes: l.volumes.filter((v) => v !== ref.name) })).filter((l) => l.volumes.length);
    const next: VolumeHome = { ...home, volumes: home.volumes.filter((v) => v !== ref.name), ...(leftBehind.length ? { leftBehind } : {}) };
    if (!leftBehind.length) delete next.leftBehind;
    const done = next.volumes.length || leftBehind.length
      ? await catalog.kvPut(key, JSON.stringify(next), { cas: entry.modifyIndex })
      : await catalog.kvDelete(key, { cas: entry.modifyIndex });
    if (done) return;
  }
  throw new ApiError('conflict', `the volume home of ${instanceName(ref.job, ref.ordinal)} kept changing; run the command again`);
}
