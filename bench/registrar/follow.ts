/**
 * What the registrar benches measure against: a registrar on the real dockerd writing into an
 * embedded catalog, and a watcher that reads this host's instances with blocking reads (as DNS and
 * the proxies see them), stamping when each container's instance appears or goes.
 */
import { performance } from 'node:perf_hooks';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import type { Catalog } from '../../src/catalog/types.js';
import { watch } from '../../src/catalog/watch.js';
import { DockerodeAdapter } from '../../src/docker/index.js';
import { startRegistrar, type Registrar } from '../../src/registrar/index.js';

export interface Follower {
  catalog: Catalog;
  registrar: Registrar;
  /** Container ids with an instance in the catalog, as of the watcher's last read. */
  present(): ReadonlySet<string>;
  /**
   * Resolves with the time (performance.now()) the watcher first saw the container present (or
   * absent); call it before the Docker request, so an event that overtakes the API answer counts.
   * Rejects after `timeoutMs`.
   */
  expect(containerId: string, present: boolean, timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

export async function follow(o: { host: string; labels: string[]; resyncMs?: number }): Promise<Follower> {
  const catalog = createEmbeddedCatalog();
  const registrar = startRegistrar({ docker: new DockerodeAdapter(), catalog, host: o.host, advertise: '127.0.0.1', labels: o.labels, resyncMs: o.resyncMs });
  await registrar.synced();
  // A fresh embedded catalog gives its first write index 1, the index a first read of the empty
  // table also reports, so a watcher would miss that write (reported to the catalog's owner). One
  // write and delete before watching sidesteps it.
  const dummy = { id: 'warm:0:0', service: 'warm', name: 'warm', host: 'warm', address: '127.0.0.1', port: 1, tags: [], meta: {}, health: 'passing' as const };
  await catalog.registerInstance(dummy);
  await catalog.deregisterInstance(dummy.id);

  let present = new Set<string>();
  const waiters = new Map<string, { present: boolean; resolve: (t: number) => void }>();
  const abort = new AbortController();
  let first!: () => void;
  const ready = new Promise<void>((r) => (first = r));
  void watch(
    (opts) => catalog.listInstances({ ...opts, host: o.host }),
    (instances) => {
      const now = performance.now();
      present = new Set(instances.map((i) => i.meta.container_id!));
      for (const [id, w] of waiters) {
        if (present.has(id) === w.present) {
          waiters.delete(id);
          w.resolve(now);
        }
      }
      first();
    },
    { signal: abort.signal, waitMs: 60_000 },
  );
  await ready;

  return {
    catalog,
    registrar,
    present: () => present,
    expect(id, want, timeoutMs = 10_000) {
      if (present.has(id) === want) return Promise.resolve(performance.now());
      return new Promise<number>((resolve, reject) => {
        const waiter = { present: want, resolve: (t: number) => (clearTimeout(timer), resolve(t)) };
        const timer = setTimeout(() => {
          // A later expectation on the same container may have taken the slot: leave that one.
          if (waiters.get(id) === waiter) waiters.delete(id);
          reject(new Error(`container ${id.slice(0, 12)} not ${want ? 'registered' : 'deregistered'} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.set(id, waiter);
      });
    },
    async close() {
      abort.abort();
      await registrar.stop();
      await catalog.close();
    },
  };
}

/** The p-th percentile (nearest rank) of xs. */
export function pct(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export function row(name: string, xs: readonly number[]): string {
  if (!xs.length) return `${name.padEnd(18)} (no samples)`;
  const f = (x: number) => x.toFixed(1).padStart(7);
  return `${name.padEnd(18)} n ${String(xs.length).padStart(5)}  p50 ${f(pct(xs, 50))} ms  p90 ${f(pct(xs, 90))} ms  p99 ${f(pct(xs, 99))} ms  max ${f(Math.max(...xs))} ms`;
}
