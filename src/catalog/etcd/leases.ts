/**
 * Sessions are etcd leases. `create` grants one (TTL in whole seconds, rounded up; etcd may grant
 * more than asked — its minimum follows the election timeout), `renew` is one LeaseKeepAlive
 * exchange and says false once etcd answers TTL 0 (the lease expired or was revoked), `destroy`
 * revokes it, which deletes every key bound to it at once.
 *
 * Renewals share one keep-alive stream (etcd's own client does the same): requests go out as they
 * come and each answer wakes the oldest waiter for its lease ID. A renewal without an answer within
 * the deadline fails `unavailable` and the stream is dropped, so the next renewal opens a fresh one
 * (on another endpoint if this one died). Renewal is explicit, never automatic: a host whose Docker
 * daemon is gone must be able to let its session lapse (agent/heartbeat.ts).
 */
import type { IDuplexStream, ILeaseKeepAliveRequest, ILeaseKeepAliveResponse } from 'etcd3';
import { CatalogError } from '../types.js';
import type { EtcdContext } from './context.js';
import { leaseOfSession, sessionOfLease } from './keys.js';

type KeepAliveStream = IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse>;
type Waiter = (ttl: string | Error) => void;

export class Leases {
  private stream: Promise<KeepAliveStream> | undefined;
  private readonly waiting = new Map<string, Waiter[]>();

  constructor(
    private readonly ctx: EtcdContext,
    private readonly timeoutMs: number,
  ) {}

  async create(ttlMs: number): Promise<string> {
    const TTL = Math.max(1, Math.ceil(ttlMs / 1_000));
    const res = await this.ctx.call('lease grant', () => this.ctx.client.leaseClient.leaseGrant({ TTL }));
    return sessionOfLease(res.ID);
  }

  async renew(session: string): Promise<boolean> {
    const lease = leaseOfSession(session);
    if (!lease) return false;
    const ttl = await this.ctx.call('lease keep-alive', () => this.keepAliveOnce(lease));
    return ttl !== '0';
  }

  async destroy(session: string): Promise<void> {
    const lease = leaseOfSession(session);
    if (!lease) return;
    try {
      await this.ctx.call('lease revoke', () => this.ctx.client.leaseClient.leaseRevoke({ ID: lease }));
    } catch (err) {
      // Already expired or revoked: what the caller wanted.
      if ((err as CatalogError).code !== 'session_invalid') throw err;
    }
  }

  close(): void {
    this.dropStream(new CatalogError('closed', 'catalog closed'));
  }

  private async keepAliveOnce(lease: string): Promise<string> {
    const stream = await this.open();
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.dropStream(new CatalogError('unavailable', `etcd lease keep-alive: no answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      const waiter: Waiter = (ttl) => {
        clearTimeout(timer);
        if (ttl instanceof Error) reject(ttl);
        else resolve(ttl);
      };
      const queue = this.waiting.get(lease) ?? [];
      queue.push(waiter);
      this.waiting.set(lease, queue);
      stream.write({ ID: lease });
    });
  }

  private open(): Promise<KeepAliveStream> {
    if (this.stream) return this.stream;
    const raw = this.ctx.client.leaseClient.leaseKeepAlive();
    const opening = withDeadline(raw, this.timeoutMs, 'etcd lease keep-alive stream');
    // A stream that opens after its deadline is nobody's: close it.
    opening.catch(() => raw.then((s) => s.cancel(), () => undefined));
    this.stream = opening;
    opening.then(
      (stream) => {
        stream.on('data', (res: ILeaseKeepAliveResponse) => this.waiting.get(String(res.ID))?.shift()?.(String(res.TTL)));
        stream.on('error', (err: Error) => this.dropStream(err, opening));
        stream.on('end', () => this.dropStream(new CatalogError('unavailable', 'etcd lease keep-alive stream ended'), opening));
      },
      () => {
        if (this.stream === opening) this.stream = undefined;
      },
    );
    return opening;
  }

  /** Fails every pending renewal and forgets the stream (only `which`, when given and still current). */
  private dropStream(err: Error, which?: Promise<KeepAliveStream>): void {
    const current = this.stream;
    if (!current || (which && which !== current)) return;
    this.stream = undefined;
    current.then((s) => s.cancel?.(), () => undefined);
    const waiters = [...this.waiting.values()].flat();
    this.waiting.clear();
    for (const w of waiters) w(err);
  }
}

function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new CatalogError('unavailable', `${what}: no answer within ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e) => (clearTimeout(timer), reject(e)),
    );
  });
}
