/**
 * One DNS-over-TCP connection's state machine (tcp.ts has the contract, the listener and the sweep):
 * frames in, answers out in order, reading paused while answers back up or upstreams are busy, and
 * which deadline runs now — counted in the listener's sweep ticks, not a timer of its own.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { TcpLimits } from './tcp.js';
import type { Handler } from './udp.js';

export const NONE = 0;
export const IDLE = 1;
export const IO = 2;
export type Deadline = typeof NONE | typeof IDLE | typeof IO;
const EMPTY = Buffer.alloc(0);

/** What a connection needs of its listener. */
export interface ConnectionOwner {
  readonly handle: Handler;
  readonly log: Logger;
  readonly limits: TcpLimits;
  /** The sweep tick by which a deadline of `ms` from now has passed. */
  ticksFor(ms: number): number;
}

export class Connection {
  pending: Buffer = EMPTY;
  inFlight = 0;
  readEnded = false;
  /** Which deadline runs (see the header comment) and the sweep tick at which it closes the socket. */
  kind: Deadline = NONE;
  expires = Infinity;
  /** Never below the socket's high-water mark: only a write() that returned false brings a 'drain'. */
  readonly queueBound: number;

  constructor(
    readonly socket: Socket,
    readonly owner: ConnectionOwner,
  ) {
    this.queueBound = Math.max(owner.limits.maxQueuedBytes, socket.writableHighWaterMark);
  }

  /** An io deadline keeps running while its condition holds: progress restarts it explicitly. */
  arm(kind: Deadline): void {
    if (this.kind === kind) return;
    this.kind = kind;
    this.expires = kind === NONE ? Infinity : this.owner.ticksFor(kind === IDLE ? this.owner.limits.idleMs : this.owner.limits.ioMs);
  }
  restart(kind: Deadline): void {
    this.kind = NONE;
    this.arm(kind);
  }

  backedUp(): boolean {
    return this.socket.writableLength >= this.queueBound;
  }

  /** Reads only while every answer so far fits the queue bound and the upstream budget has room. */
  flow(): void {
    const s = this.socket;
    this.drainPending();
    if (s.destroyed) return;
    const p = this.pending;
    const blocked = this.backedUp() || this.inFlight >= this.owner.limits.maxInFlight || (p.length >= 2 && p.length >= 2 + p.readUInt16BE(0));
    if (blocked) s.pause();
    else if (s.isPaused() && !this.readEnded) s.resume();
    this.settle();
  }

  /** Sets the deadline for the state the connection is in now; ends it once a half-closed client is served. */
  settle(): void {
    const s = this.socket;
    if (s.destroyed) return;
    if (this.backedUp() || this.pending.length > 0) this.arm(IO);
    else if (this.inFlight > 0) this.arm(NONE);
    else if (this.readEnded) {
      // Everything is answered. With every byte handed to the kernel, close() is the graceful end
      // (it sends them, then the FIN; nothing unread is left to turn it into a reset), without a
      // shutdown() and a turn of the stream machinery first: the common end of a one-query client.
      if (s.writableLength === 0) return void s.destroy();
      // Else the client still has to take the rest before the socket closes.
      if (!s.writableEnded) s.end();
      this.arm(IO);
    } else this.arm(IDLE);
  }

  /** Answers every complete frame in `pending` while the socket and the upstream budget have room. */
  drainPending(): void {
    const { socket: s, owner } = this;
    while (this.pending.length >= 2 && !this.backedUp() && this.inFlight < owner.limits.maxInFlight && !s.destroyed) {
      const len = this.pending.readUInt16BE(0);
      if (this.pending.length < 2 + len) break;
      const msg = this.pending.subarray(2, 2 + len);
      this.pending = this.pending.length === 2 + len ? EMPTY : this.pending.subarray(2 + len);
      // A whole query arrived: no deadline until settle() picks the next one, which then gets its
      // own (an old idle deadline left running closed a connection while its forward was awaited).
      this.kind = NONE;
      this.expires = Infinity;
      let res: ReturnType<Handler>;
      try {
        res = owner.handle(msg, false);
      } catch (err) {
        owner.log.error({ err }, 'dns handler threw; connection closed');
        s.destroy();
        return;
      }
      if (res instanceof Promise) {
        this.inFlight++;
        res
          .then(
            (r) => this.send(r),
            (err) => owner.log.error({ err }, 'dns forward failed'),
          )
          .finally(() => {
            this.inFlight--;
            this.flow();
          });
      } else this.send(res);
    }
  }

  send(res: Buffer | null): void {
    const s = this.socket;
    if (res === null || s.destroyed || s.writableEnded) return;
    const frame = Buffer.allocUnsafe(res.length + 2);
    frame[0] = res.length >> 8;
    frame[1] = res.length & 0xff;
    res.copy(frame, 2);
    s.write(frame);
  }
}
