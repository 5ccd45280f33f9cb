/**
 * The catalog side of the registrar: applies diffs and keeps a mirror of what this host owns in the
 * catalog, so an event for one container is compared against that container's instances only.
 */
import { CatalogError, type Catalog, type ServiceInstance } from '../catalog/types.js';
import type { Logger } from '../log/index.js';
import { diff, type Diff } from './diff.js';

export interface WriteCounters {
  registrations: number;
  deregistrations: number;
  healthUpdates: number;
}

export class CatalogWriter {
  private mirror = new Map<string, ServiceInstance>();
  readonly counters: WriteCounters = { registrations: 0, deregistrations: 0, healthUpdates: 0 };

  constructor(
    private readonly catalog: Catalog,
    private readonly log: Logger,
  ) {}

  /** What this host owns in the catalog, as last read or written. */
  owned(): ServiceInstance[] {
    return [...this.mirror.values()];
  }

  /** Full reconcile: `current` is this host's instances as just read from the catalog. */
  async reconcile(desired: ServiceInstance[], current: ServiceInstance[]): Promise<Diff> {
    this.mirror = new Map(current.map((i) => [i.id, i]));
    const d = diff(desired, current);
    await this.apply(d);
    return d;
  }

  /** One container changed: compare with the instances the mirror holds under its ID prefix. */
  async update(idPrefix: string, desired: ServiceInstance[]): Promise<Diff> {
    const d = diff(desired, this.owned().filter((i) => i.id.startsWith(idPrefix)));
    await this.apply(d);
    return d;
  }

  /** Every write is attempted; the first failure is rethrown after the others had their chance. */
  private async apply(d: Diff): Promise<void> {
    let failure: unknown;
    const attempt = async (fn: () => Promise<void>) => {
      try {
        await fn();
      } catch (err) {
        failure ??= err;
      }
    };
    for (const id of d.deregister) {
      await attempt(async () => {
        await this.catalog.deregisterInstance(id);
        this.mirror.delete(id);
        this.counters.deregistrations++;
        this.log.info({ id }, 'deregistered');
      });
    }
    for (const i of d.register) {
      await attempt(async () => {
        await this.catalog.registerInstance(i);
        this.mirror.set(i.id, i);
        this.counters.registrations++;
        this.log.info({ id: i.id, service: i.service, name: i.name, address: `${i.address}:${i.port}`, health: i.health }, 'registered');
      });
    }
    for (const i of d.health) {
      await attempt(async () => {
        try {
          await this.catalog.setHealth(i.id, i.health);
        } catch (err) {
          // Gone behind our back (catalog reset, operator): put the whole instance back.
          if (!(err instanceof CatalogError && err.code === 'not_found')) throw err;
          await this.catalog.registerInstance(i);
        }
        this.mirror.set(i.id, i);
        this.counters.healthUpdates++;
        this.log.info({ id: i.id, health: i.health }, 'health changed');
      });
    }
    if (failure !== undefined) throw failure;
  }
}

/** Instance names claimed by more than one container within a service (DNS then answers both). */
export function nameClashes(instances: Iterable<ServiceInstance>): Map<string, ServiceInstance[]> {
  const byName = new Map<string, ServiceInstance[]>();
  for (const i of instances) {
    const key = `${i.service}/${i.name}`;
    byName.set(key, [...(byName.get(key) ?? []), i]);
  }
  const clashes = new Map<string, ServiceInstance[]>();
  for (const [key, list] of byName) {
    // Several ports or protocols of one container share a name legitimately.
    const owners = new Set(list.map((i) => i.id.slice(0, i.id.lastIndexOf(':'))));
    if (owners.size > 1) clashes.set(key, list);
  }
  return clashes;
}
