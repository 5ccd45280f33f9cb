/**
 * Service instances as keys `<prefix>instances/<host>/<id>` bound to a lease, so they vanish with
 * their owner: the lease of the owner host's session when this process registered that host (the
 * agent), otherwise this adapter's own lease (a registrar-only process, or the moments before the
 * agent's first heartbeat), which the adapter keeps alive itself.
 *
 * The adapter remembers what it registered. When a host is first registered, the instances written
 * before (on the own lease) move to its lease; when it is registered again with a new session (the
 * old one expired during a partition), the instances of the old one are not resurrected — the
 * registrar writes back what is still wanted (see `bindHost`). When the own lease is lost, the
 * instances on it are written again on a new one.
 * A write that finds its lease gone (`lease not found`) falls back to the own lease rather than
 * fail the registrar. Unchanged instances are not rewritten (a txn comparing value and lease), so
 * re-registering does not wake every watcher.
 */
import type { ICompare, IRequestOp } from 'etcd3';
import { CatalogError, type BlockingOptions, type Health, type Indexed, type ServiceInstance } from '../types.js';
import { blockingRead } from './blocking.js';
import { decodeInstance, encodeInstance } from './codec.js';
import type { EtcdContext } from './context.js';
import { hostOfId, prefixEnd } from './keys.js';
import type { Leases } from './leases.js';
import { OwnLease } from './own-lease.js';

/** Below etcd's default --max-txn-ops (128). */
const TXN_OPS = 100;

export class Instances {
  private readonly owned = new Map<string, ServiceInstance>();
  private readonly hostLeases = new Map<string, string>();
  /** Each host's last session as registered here; unlike `hostLeases`, kept when a lease is forgotten. */
  private readonly boundBefore = new Map<string, string>();
  private readonly own: OwnLease;
  malformed = 0;

  constructor(
    private readonly ctx: EtcdContext,
    leases: Leases,
    ownTtlMs: number,
  ) {
    this.own = new OwnLease(ctx, leases, ownTtlMs, () => this.rewriteOrphans());
  }

  async register(instance: ServiceInstance): Promise<void> {
    this.owned.set(instance.id, structuredClone(instance));
    await this.write([instance]);
  }

  async deregister(id: string): Promise<void> {
    const host = this.owned.get(id)?.host ?? hostOfId(id);
    this.owned.delete(id);
    await this.ctx.call('deregister', () => this.ctx.client.kv.deleteRange({ key: Buffer.from(this.ctx.keys.instance(host, id)) }));
  }

  async setHealth(id: string, health: Health): Promise<void> {
    const mine = this.owned.get(id);
    if (mine) {
      mine.health = health;
      return this.write([mine]);
    }
    // Someone else's instance: rewrite it as it is (same lease), unless it changed meanwhile.
    const key = Buffer.from(this.ctx.keys.instance(hostOfId(id), id));
    for (let attempt = 0; attempt < 5; attempt++) {
      const kv = (await this.ctx.call('get instance', () => this.ctx.client.kv.range({ key }))).kvs[0];
      const current = kv && decodeInstance(kv.value);
      if (!kv || !current) throw new CatalogError('not_found', `no instance ${id}`);
      const value = Buffer.from(encodeInstance({ ...current, health }));
      const res = await this.ctx.call('set health', () => this.ctx.client.kv.txn({
        compare: [{ key, target: 'Mod', result: 'Equal', mod_revision: kv.mod_revision }],
        success: [{ request_put: { key, value, lease: kv.lease } }],
        failure: [],
      }));
      if (res.succeeded) return;
    }
    throw new CatalogError('unavailable', `instance ${id} kept changing while setting its health`);
  }

  list(opts: (BlockingOptions & { host?: string }) | undefined, keep: (i: ServiceInstance) => boolean = () => true): Promise<Indexed<ServiceInstance[]>> {
    const key = Buffer.from(opts?.host !== undefined ? this.ctx.keys.hostInstances(opts.host) : this.ctx.keys.instancesPrefix);
    const end = prefixEnd(key);
    return blockingRead(this.ctx, opts, { key, end }, async () => {
      const res = await this.ctx.call('list instances', () => this.ctx.client.kv.range({ key, range_end: end }));
      const value: ServiceInstance[] = [];
      for (const kv of res.kvs) {
        const i = decodeInstance(kv.value);
        if (!i) this.malformed++;
        else if (keep(i)) value.push(i);
      }
      return { index: Number(res.header.revision), value };
    });
  }

  /**
   * The host was registered with the session `lease`: its instances live and die with it from now
   * on. Instances written before the host's first registration (on the adapter's own lease) move to
   * it. Instances bound to an earlier session of the host are not written again: they vanished with
   * it (the host was declared down), and which of them are still wanted is the registrar's call once
   * the agent has fenced the replicas that moved meanwhile (src/registrar/fence.ts). Rewriting them
   * here would put a stale replica back into DNS after a partition heals.
   */
  async bindHost(host: string, lease: string): Promise<void> {
    const lapsed = this.boundBefore.has(host) && this.boundBefore.get(host) !== lease;
    this.hostLeases.set(host, lease);
    this.boundBefore.set(host, lease);
    const mine = [...this.owned.values()].filter((i) => i.host === host);
    if (lapsed) {
      for (const i of mine) this.owned.delete(i.id);
      return;
    }
    await this.write(mine);
  }

  close(): void {
    this.own.close();
  }

  private async write(instances: ServiceInstance[]): Promise<void> {
    for (let i = 0; i < instances.length; i += TXN_OPS) {
      const batch = instances.slice(i, i + TXN_OPS);
      for (let attempt = 1; ; attempt++) {
        const lease = await this.leaseFor(batch[0]!.host);
        try {
          await this.putUnlessSame(batch, lease);
          break;
        } catch (err) {
          if ((err as CatalogError).code !== 'session_invalid' || attempt >= 3) throw err;
          this.forget(lease);
        }
      }
    }
  }

  /** Puts every instance whose stored value or lease differs; one txn per batch. */
  private async putUnlessSame(batch: ServiceInstance[], lease: string): Promise<void> {
    const ops = batch.map((inst) => {
      const key = Buffer.from(this.ctx.keys.instance(inst.host, inst.id));
      const value = Buffer.from(encodeInstance(inst));
      const same: ICompare[] = [
        { key, target: 'Value', result: 'Equal', value },
        { key, target: 'Lease', result: 'Equal', lease },
      ];
      const put: IRequestOp = { request_put: { key, value, lease } };
      return { request_txn: { compare: same, success: [], failure: [put] } } satisfies IRequestOp;
    });
    await this.ctx.call('register instance', () => this.ctx.client.kv.txn({ compare: [], success: ops, failure: [] }));
  }

  private leaseFor(host: string): Promise<string> {
    return this.hostLeases.has(host) ? Promise.resolve(this.hostLeases.get(host)!) : this.own.get();
  }

  /** A lease etcd no longer knows: stop using it. */
  private forget(lease: string): void {
    for (const [host, l] of this.hostLeases) if (l === lease) this.hostLeases.delete(host);
    this.own.forget(lease);
  }

  /** The own lease was lost: write its instances again (on a new one). */
  private async rewriteOrphans(): Promise<void> {
    const orphans = [...this.owned.values()].filter((i) => !this.hostLeases.has(i.host));
    for (const host of new Set(orphans.map((i) => i.host))) await this.write(orphans.filter((i) => i.host === host));
  }
}
