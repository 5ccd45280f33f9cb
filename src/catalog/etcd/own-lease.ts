/**
 * The adapter's own lease: what instances are bound to when this process registered no session for
 * their host (a `maestro registrar` process, or the seconds before the agent's first heartbeat).
 * Granted on first use and renewed here every third of its TTL; when etcd says it is gone, `onLost`
 * writes the instances on it again (on a new one). Left to expire on close, like Consul's TTL checks:
 * a process restarted within the TTL takes its instances over without a gap.
 */
import type { EtcdContext } from './context.js';
import { leaseOfSession, sessionOfLease } from './keys.js';
import type { Leases } from './leases.js';

export class OwnLease {
  private lease: Promise<string> | undefined;
  /** The lease once granted (decimal), to recognise it synchronously in `forget`. */
  private id: string | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly ctx: EtcdContext,
    private readonly leases: Leases,
    private readonly ttlMs: number,
    private readonly onLost: () => Promise<void>,
  ) {
    this.timer = setInterval(() => void this.keep(), Math.max(200, Math.floor(ttlMs / 3)));
    this.timer.unref();
  }

  /** The lease (decimal etcd ID), granted now if there is none. */
  get(): Promise<string> {
    this.lease ??= this.leases.create(this.ttlMs).then(
      (session) => (this.id = leaseOfSession(session)!),
      (err) => {
        this.lease = undefined;
        throw err;
      },
    );
    return this.lease;
  }

  /** etcd no longer knows `lease`: if it is ours, grant a new one next time. */
  forget(lease: string): void {
    if (this.id === lease) this.lease = this.id = undefined;
  }

  close(): void {
    clearInterval(this.timer);
  }

  private async keep(): Promise<void> {
    const pending = this.lease;
    if (!pending || this.ctx.isClosed()) return;
    try {
      const lease = await pending;
      if (await this.leases.renew(sessionOfLease(lease))) return;
      this.ctx.logger.warn('etcd: the lease of this process\'s instances expired; registering them again');
      if (this.lease === pending) this.lease = this.id = undefined;
      await this.onLost();
    } catch (err) {
      // An outage: the next tick tries again; the lease may well survive it.
      this.ctx.logger.debug({ err }, 'etcd: renewing the instances lease failed');
    }
  }
}
