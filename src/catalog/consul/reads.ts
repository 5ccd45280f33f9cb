import type { BlockingOptions, Indexed, ServiceInstance } from '../types.js';
import { blockingQuery, firstOf, sanitizeIndex } from './blocking.js';
import type { ConsulHttp } from './client.js';
import { fromHealthEntry, type HealthEntry } from './codec.js';

/** Consul's own service on every server agent; never a Maestro instance. */
const CONSUL_SERVICE = 'consul';

/**
 * Catalog-wide instance reads (any agent's registrations): /v1/health/service, /v1/health/state and
 * /v1/catalog/services, all blocking queries
 * (https://developer.hashicorp.com/consul/api-docs/health, .../catalog#list-services).
 */
export class InstanceReads {
  constructor(private readonly http: ConsulHttp) {}

  async list(opts?: BlockingOptions & { host?: string }): Promise<Indexed<ServiceInstance[]>> {
    const q = blockingQuery(opts);
    if (q.params.index) {
      // "Any instance changed" spans two resources: the services table (registrations) and the checks
      // table (health). Raft indexes are global, so blocking on both with the same index and taking the
      // first answer means "something changed after N".
      await firstOf(
        [
          (signal) => this.http.call('catalog.service.list', (rc) => this.http.api.catalog.service.list({ ...q.params, ...rc }), { signal, timeoutMs: q.timeoutMs }),
          (signal) => this.http.call('health.state', (rc) => this.http.api.health.state({ state: 'any', ...q.params, ...rc }), { signal, timeoutMs: q.timeoutMs }),
        ],
        q.signal,
      );
    }
    const signal = opts?.signal;
    const [services, checks] = await Promise.all([
      this.http.call<Record<string, string[]>>('catalog.service.list', (rc) => this.http.api.catalog.service.list({ ...rc }), { signal }),
      this.http.call('health.state', (rc) => this.http.api.health.state({ state: 'any', ...rc }), { signal }),
    ]);
    // Both indexes were read before the per-service reads, so any later change has a higher index.
    const index = sanitizeIndex(Math.max(services.index, checks.index));
    const names = Object.keys(services.body ?? {}).filter((n) => n !== CONSUL_SERVICE);
    const perService = await Promise.all(
      names.map((service) =>
        this.http.call<HealthEntry[]>('health.service', (rc) => this.http.api.health.service({ service, ...rc }), { signal }),
      ),
    );
    const all = perService.flatMap((r) => toInstances(r.body));
    return { index, value: all.filter((i) => opts?.host === undefined || i.host === opts.host) };
  }

  async healthy(service: string, opts?: BlockingOptions): Promise<Indexed<ServiceInstance[]>> {
    const q = blockingQuery(opts);
    const r = await this.http.call<HealthEntry[]>(
      'health.service',
      (rc) => this.http.api.health.service({ service, passing: true, ...q.params, ...rc }),
      { signal: q.signal, timeoutMs: q.timeoutMs },
    );
    return { index: sanitizeIndex(r.index), value: toInstances(r.body) };
  }

  async services(opts?: BlockingOptions): Promise<Indexed<Record<string, string[]>>> {
    const q = blockingQuery(opts);
    const r = await this.http.call<Record<string, string[] | null>>(
      'catalog.service.list',
      (rc) => this.http.api.catalog.service.list({ ...q.params, ...rc }),
      { signal: q.signal, timeoutMs: q.timeoutMs },
    );
    const value: Record<string, string[]> = {};
    for (const [name, tags] of Object.entries(r.body ?? {})) {
      if (name !== CONSUL_SERVICE) value[name] = [...new Set(tags ?? [])].sort();
    }
    return { index: sanitizeIndex(r.index), value };
  }
}

function toInstances(entries: HealthEntry[] | undefined): ServiceInstance[] {
  return (entries ?? [])
    .map(fromHealthEntry)
    .filter((i): i is ServiceInstance => i !== undefined)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
