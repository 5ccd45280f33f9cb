/**
 * The cluster map's model (pure): every host with its replicas, ordered and counted, and the colour
 * class of each replica. Built from one `/v1/map` answer (hosts, and replicas as compact rows), or
 * from a `/v1/hosts` and a `/v1/allocations` listing. Replicas
 * placed on a host the API does not list (a host that left the catalog) get a box of their own,
 * marked unknown, so nothing placed is ever hidden.
 */
import type { AllocView, HostView } from '../../api/index.js';

export type Tone = 'ok' | 'starting' | 'warn' | 'bad' | 'off';

export interface MapReplica {
  id: string;
  instance: string;
  job: string;
  status: AllocView['status'];
  tone: Tone;
  message?: string;
}

export interface MapHost {
  name: string;
  alive: boolean;
  /** Listed by /v1/hosts; false for a host only named by allocations. */
  known: boolean;
  address: string;
  meta: Array<[string, string]>;
  cpu: Bar;
  memory: Bar;
  replicas: MapReplica[];
}

export interface Bar {
  used: number;
  capacity: number;
  /** 0–100, for the bar's width (capped: a host may be over-committed). */
  percent: number;
}

export interface ClusterMap {
  hosts: MapHost[];
  /** Replicas per status, over the whole map. */
  counts: Record<string, number>;
  down: number;
}

export function toneOf(status: AllocView['status']): Tone {
  switch (status) {
    case 'running':
      return 'ok';
    case 'starting':
      return 'starting';
    case 'unhealthy':
      return 'warn';
    case 'failed':
      return 'bad';
    default:
      return 'off';
  }
}

function bar(used: number, capacity: number): Bar {
  const percent = capacity > 0 ? Math.min(100, Math.round((used / capacity) * 100)) : used > 0 ? 100 : 0;
  return { used, capacity, percent };
}

/** What the map needs of a replica (an AllocView has it all; a `/v1/map` row has just this). */
export type MapAlloc = Pick<AllocView, 'id' | 'instance' | 'job' | 'host' | 'status'> & { desired?: AllocView['desired']; message?: string };

/** A `/v1/map` row: `[host, job, instance, id, status, message?]` (src/api/routes/map.ts). */
export type MapRow = [string, string, string, string, AllocView['status'], string?];

/** The replicas of a `/v1/map` answer; rows that are not arrays of strings are skipped, not trusted. */
export function replicasOf(rows: unknown): MapAlloc[] {
  if (!Array.isArray(rows)) return [];
  const out: MapAlloc[] = [];
  // Runs on the page's critical path (2,000 rows before the first paint): plain index reads, no
  // intermediate arrays or object spreads.
  for (const r of rows) {
    if (!Array.isArray(r) || r.length < 5) continue;
    const host = r[0], job = r[1], instance = r[2], id = r[3], status = r[4], message = r[5];
    if (typeof host !== 'string' || typeof job !== 'string' || typeof instance !== 'string' || typeof id !== 'string' || typeof status !== 'string') continue;
    const a: MapAlloc = { host, job, instance, id, status: status as MapAlloc['status'] };
    if (typeof message === 'string' && message) a.message = message;
    out.push(a);
  }
  return out;
}

/**
 * Replicas still wanted or still there: stopped ones that are gone are history, not the map. A
 * `/v1/map` row carries no `desired` (the server kept only replicas on the map).
 */
export function onMap(a: MapAlloc): boolean {
  return a.desired !== 'stop' || a.status !== 'stopped';
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The page's link to a job, `#/jobs/NAME` percent-encoded; a lone surrogate (encodeURIComponent throws on it) as U+FFFD. */
export function jobHref(job: string): string {
  return `#/jobs/${encodeURIComponent(job.replace(LONE_SURROGATE, '\uFFFD'))}`;
}

/** The statuses in the map's summary, in its order. */
export const STATUS_ORDER = ['running', 'starting', 'unhealthy', 'failed', 'stopping', 'stopped'] as const;

// The texts of a host's box, one definition for both renderers: the page's DOM (public/map-dom.js)
// and the server's HTML (map-html.ts) must give the same markup.

/** A host box's state word and class. */
export function hostState(host: Pick<MapHost, 'known' | 'alive'>): 'unknown' | 'alive' | 'down' {
  return !host.known ? 'unknown' : host.alive ? 'alive' : 'down';
}

/** A replica's tooltip. */
export function replicaTitle(r: Pick<MapReplica, 'instance' | 'id' | 'status' | 'message'>): string {
  return `${r.instance} (${r.id}): ${r.status}${r.message ? ` — ${r.message}` : ''}`;
}

/** A CPU or memory bar's tooltip and its figure. */
export function barTexts(label: string, b: Bar, unit: string): { title: string; value: string } {
  return { title: `${label}: ${b.used}${unit} of ${b.capacity}${unit} used`, value: `${b.used}/${b.capacity}${unit}` };
}

/** The order of replicas in a host's box: by job, then instance, then id. */
export const byReplica = (a: Pick<MapReplica, 'job' | 'instance' | 'id'>, b: Pick<MapReplica, 'job' | 'instance' | 'id'>): number =>
  byText(a.job, b.job) || byText(a.instance, b.instance) || byText(a.id, b.id);

export function clusterMap(hosts: HostView[], allocs: readonly MapAlloc[]): ClusterMap {
  const byHost = new Map<string, MapHost>();
  for (const h of [...hosts].sort((a, b) => byText(a.name, b.name))) {
    byHost.set(h.name, {
      name: h.name,
      alive: h.alive,
      known: true,
      address: h.address,
      meta: Object.entries(h.meta ?? {}).sort(([a], [b]) => byText(a, b)),
      cpu: bar(h.used?.cpu ?? 0, h.capacity?.cpu ?? 0),
      memory: bar(h.used?.memory ?? 0, h.capacity?.memory ?? 0),
      replicas: [],
    });
  }
  const counts: Record<string, number> = {};
  for (const a of allocs) {
    if (!onMap(a)) continue;
    let host = byHost.get(a.host);
    if (!host) {
      host = { name: a.host, alive: false, known: false, address: '', meta: [], cpu: bar(0, 0), memory: bar(0, 0), replicas: [] };
      byHost.set(a.host, host);
    }
    const replica: MapReplica = { id: a.id, instance: a.instance, job: a.job, status: a.status, tone: toneOf(a.status) };
    if (a.message) replica.message = a.message;
    host.replicas.push(replica);
    counts[a.status] = (counts[a.status] ?? 0) + 1;
  }
  // `/v1/map` sends its rows in this order already: the sort then only confirms it (one pass).
  for (const h of byHost.values()) h.replicas.sort(byReplica);
  const list = [...byHost.values()];
  return { hosts: list, counts, down: list.filter((h) => !h.alive).length };
}

/**
 * Hosts in order, cut into chunks of about `size` elements (a host box counts 10, a replica 1), for
 * rendering a window of the map first and the rest after. Never an empty list: no hosts is one
 * empty chunk.
 */
export function chunkHosts(hosts: readonly MapHost[], size: number): MapHost[][] {
  const out: MapHost[][] = [];
  let chunk: MapHost[] = [];
  let elements = 0;
  for (const host of hosts) {
    chunk.push(host);
    elements += 10 + host.replicas.length;
    if (elements >= size) {
      out.push(chunk);
      chunk = [];
      elements = 0;
    }
  }
  if (chunk.length || !out.length) out.push(chunk);
  return out;
}
