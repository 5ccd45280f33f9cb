import type { Logger } from 'pino';
import { CatalogError, type Health, type ServiceInstance } from '../types.js';
import type { ConsulHttp } from './client.js';
import { checkIdOf, toRegistration, type CheckPolicy } from './codec.js';

/**
 * Instances as services of the local Consul agent, each with one TTL check carrying its health.
 *
 * A TTL check turns critical unless re-asserted within its TTL, so the adapter re-asserts the last
 * health of every instance it registered every `refreshMs` (a third of the TTL: two refreshes may be
 * lost before the check flaps). If this process dies, its instances turn critical after one TTL and
 * the agent removes them after `DeregisterCriticalServiceAfter`: nobody is left to maintain them.
 * A refresh that finds the check gone (agent restarted without its data dir) registers it again.
 */
export class Instances {
  private readonly local = new Map<string, ServiceInstance>();
  private readonly timer: NodeJS.Timeout;
  private refreshing = false;

  constructor(
    private readonly http: ConsulHttp,
    private readonly log: Logger,
    private readonly policy: CheckPolicy,
    refreshMs: number,
  ) {
    this.timer = setInterval(() => void this.refresh(), refreshMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async register(i: ServiceInstance): Promise<void> {
    if (!i.id || !i.service || !i.host) throw new CatalogError('bad_request', 'instance needs id, service and host');
    if (!Number.isInteger(i.port) || i.port < 0 || i.port > 65_535) {
      throw new CatalogError('bad_request', `instance ${i.id}: bad port ${i.port}`);
    }
    const registration = toRegistration(i, this.policy);
    const prev = this.local.get(i.id);
    await this.http.call('agent.service.register', (rc) => this.http.api.agent.service.register({ ...registration, ...rc }));
    this.local.set(i.id, structuredClone(i));
    // The agent keeps an existing check's status across re-registration (`Status` only seeds a new
    // check), so a changed health must be asserted explicitly. Unknown to us (first registration since
    // start) may mean the agent has an older status: assert then too.
    if (prev?.health !== i.health) await this.assert(i.id, i.health);
  }

  async deregister(id: string): Promise<void> {
    this.local.delete(id);
    try {
      await this.http.call('agent.service.deregister', (rc) => this.http.api.agent.service.deregister({ id, ...rc }));
    } catch (err) {
      if (!isUnknown(err, 'service')) throw err; // removing an unknown ID is not an error
    }
  }

  async setHealth(id: string, health: Health): Promise<void> {
    try {
      await this.assert(id, health);
    } catch (err) {
      if (isUnknown(err, 'check')) throw new CatalogError('not_found', `no instance ${id} on this agent`, { cause: err });
      throw err;
    }
    const known = this.local.get(id);
    if (known) known.health = health;
  }

  /** PUT /v1/agent/check/{pass,warn,fail}/:check_id?note= (https://developer.hashicorp.com/consul/api-docs/agent/check#ttl-check-pass). */
  private async assert(id: string, health: Health): Promise<void> {
    const checkId = checkIdOf(id);
    // A constant note per status: the note becomes the check's Output, and a changing Output would
    // bump the catalog index (and wake every watcher) on every refresh.
    const note = `maestro: ${health}`;
    const check = this.http.api.agent.check;
    const fn = health === 'passing' ? check.pass : health === 'warning' ? check.warn : check.fail;
    await this.http.call(`agent.check.${health}`, (rc) => fn.call(check, { id: checkId, note, ...rc }));
  }

  private async refresh(): Promise<void> {
    if (this.refreshing) return;
    this.refreshing = true;
    try {
      for (const instance of [...this.local.values()]) {
        try {
          await this.assert(instance.id, instance.health);
        } catch (err) {
          if (err instanceof CatalogError && err.code === 'closed') return;
          if (!isUnknown(err, 'check') || !this.local.has(instance.id)) {
            this.log.warn({ err, instance: instance.id }, 'consul: re-asserting instance health failed');
            continue;
          }
          this.log.info({ instance: instance.id }, 'consul: check missing on the agent, registering the instance again');
          await this.register(instance).catch((e) => this.log.warn({ err: e, instance: instance.id }, 'consul: re-registration failed'));
        }
      }
    } finally {
      this.refreshing = false;
    }
  }
}

/** Recent agents answer 404 for unknown service/check IDs; older ones 500 "Unknown check ID". */
function isUnknown(err: unknown, what: 'service' | 'check'): boolean {
  if (!(err instanceof CatalogError)) return false;
  return err.code === 'not_found' || new RegExp(`unknown ${what}`, 'i').test(err.message);
}
