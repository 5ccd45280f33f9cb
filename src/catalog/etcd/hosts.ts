/**
 * Hosts: `<prefix>hosts/<host>` holds the HostRecord with no lease, and `<prefix>hosts/<host>/alive`
 * holds the session id bound to the host's lease. When the lease expires etcd deletes the alive key
 * (and every instance bound to the lease) by itself; the record stays, so the scheduler still sees
 * the host, `alive: false`, and moves its work after the grace period. Both keys are written in one
 * txn and read in one range, so a listing never pairs a record with another moment's liveness.
 * A newer registration of the same name takes the alive key over (the name is the identity).
 */
import { CatalogError, type BlockingOptions, type HostRecord, type HostStatus, type Indexed } from '../types.js';
import { blockingRead } from './blocking.js';
import { decodeHost, encodeHost } from './codec.js';
import type { EtcdContext } from './context.js';
import type { Instances } from './instances.js';
import { leaseOfSession, prefixEnd } from './keys.js';

export class Hosts {
  malformed = 0;

  constructor(
    private readonly ctx: EtcdContext,
    private readonly instances: Instances,
  ) {}

  async register(host: HostRecord, session: string): Promise<void> {
    const lease = leaseOfSession(session);
    if (!lease) throw new CatalogError('session_invalid', `"${session}" is not an etcd session (lease id)`);
    const { keys } = this.ctx;
    await this.ctx.call('register host', () => this.ctx.client.kv.txn({
      compare: [],
      success: [
        { request_put: { key: Buffer.from(keys.host(host.name)), value: Buffer.from(encodeHost(host)) } },
        { request_put: { key: Buffer.from(keys.alive(host.name)), value: Buffer.from(session), lease } },
      ],
      failure: [],
    }));
    await this.instances.bindHost(host.name, lease);
  }

  list(opts?: BlockingOptions): Promise<Indexed<HostStatus[]>> {
    const key = Buffer.from(this.ctx.keys.hostsPrefix);
    const end = prefixEnd(key);
    return blockingRead(this.ctx, opts, { key, end }, async () => {
      const res = await this.ctx.call('list hosts', () => this.ctx.client.kv.range({ key, range_end: end }));
      const records = new Map<string, HostRecord>();
      const alive = new Set<string>();
      for (const kv of res.kvs) {
        const parsed = this.ctx.keys.parseHostKey(kv.key.toString());
        if (parsed?.alive) {
          alive.add(parsed.host);
        } else if (parsed) {
          const record = decodeHost(kv.value);
          if (record && record.name === parsed.host) records.set(parsed.host, record);
          else this.malformed++;
        }
      }
      const value = [...records.values()].map((r) => ({ ...r, alive: alive.has(r.name) }));
      return { index: Number(res.header.revision), value };
    });
  }

  async remove(name: string): Promise<void> {
    const { keys } = this.ctx;
    await this.ctx.call('remove host', () => this.ctx.client.kv.txn({
      compare: [],
      success: [
        { request_delete_range: { key: Buffer.from(keys.host(name)) } },
        { request_delete_range: { key: Buffer.from(keys.alive(name)) } },
      ],
      failure: [],
    }));
  }
}
