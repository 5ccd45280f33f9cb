/**
 * DNS over TCP (RFC 7766): one connection, 2-byte length framing, pipelined queries answered as they
 * come (forwarded ones when the upstream answers, so possibly out of order, which §6.2.1.1 allows).
 *
 * Nothing a client sends may hold memory or a connection slot without a deadline:
 *   - answers queue in the socket only up to `maxQueuedBytes`: past it, no further query is answered
 *     and the socket is paused (the kernel's buffers then push back on the client) until it drains;
 *   - at most `maxInFlight` queries per connection wait on an upstream; further ones wait unread;
 *   - a connection with nothing in flight closes after `idleMs`; a query must arrive in full, and a
 *     backed-up answer must drain, within `ioMs` — a trickled frame or a client that stops reading is
 *     closed then, however slowly it keeps the bytes moving.
 *
 * Cost per connection matters (clients without pooling open one per query), so a connection is one
 * object whose listeners are shared functions (no closures per connection), and the deadlines are
 * sweep ticks checked by one timer per listener, not a setTimeout per connection re-armed at every
 * query: a deadline fires after its length, at most two sweep periods (≤ 250 ms each) later.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Handler } from './udp.js';

export interface TcpLimits {
  /** Connections open at once; further ones are accepted and closed at once (NSD's tcp-count). */
  maxConnections: number;
  /** A connection with no partial query, no answer pending and nothing queued closes after this. */
  idleMs: number;
  /** A started query must complete, and queued answers must drain, within this. */
  ioMs: number;
  /** Answer bytes queued in the socket past which no further query is read or answered. */
  maxQueuedBytes: number;
  /** Queries of one connection waiting on an upstream at once. */
  maxInFlight: number;
}

export const DEFAULT_TCP_LIMITS: TcpLimits = {
  maxConnections: 100,
  idleMs: 10_000,
  ioMs: 3_000,
  maxQueuedBytes: 64 * 1024,
  maxInFlight: 16,
};

const NONE = 0;
const IDLE = 1;
const IO = 2;
type Deadline = typeof NONE | typeof IDLE | typeof IO;
const EMPTY = Buffer.alloc(0);
const CONN = Symbol('dns tcp connection');
type Tagged = Socket & { [CONN]: Connection };

/** The open connections of one listener, and the sweep that enforces their deadlines. */
export class TcpConnections {
  readonly open = new Set<Connection>();
  /** Sweeps so far: deadlines are counted in them. */
  tick = 0;
  readonly periodMs: number;
  readonly #timer: NodeJS.Timeout;
  #closed = false;

  constructor(
    readonly handle: Handler,
    readonly log: Logger,
    readonly limits: TcpLimits,
  ) {
    this.periodMs = Math.min(250, Math.max(5, Math.floor(Math.min(limits.idleMs, limits.ioMs) / 8)));
    this.#timer = setInterval(() => this.#sweep(), this.periodMs).unref();
  }

  /** Serves a connection the listener accepted (with allowHalfOpen and noDelay set). */
  accept(socket: Socket): void {
    // Closed listeners stop accepting, but nothing may be served without the sweep's deadlines.
    if (this.#closed) return void socket.destroy();
    const conn = new Connection(socket as Tagged, this);
    this.open.add(conn);
    (socket as Tagged)[CONN] = conn;
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.on('data', onData);
    socket.on('drain', onDrain);
    socket.on('end', onEnd);
    conn.arm(IDLE);
  }

  /** Sweep ticks from now until a deadline of `ms` has surely passed (the current tick is partly gone). */
  ticksFor(ms: number): number {
    return this.tick + Math.ceil(ms / this.periodMs) + 1;
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    for (const c of this.open) c.socket.destroy();
  }

  #sweep(): void {
    const now = ++this.tick;
    for (const c of this.open) if (c.expires <= now) c.socket.destroy();
  }
}

function onError(this: Tagged): void {
  this.destroy();
}
function onClose(this: Tagged): void {
  this[CONN].owner.open.delete(this[CONN]);
}
function onData(this: Tagged, chunk: Buffer): void {
  const c = this[CONN];
  c.pending = c.pending.length === 0 ? chunk : Buffer.concat([c.pending, chunk]);
  c.flow();
}
function onDrain(this: Tagged): void {
  const c = this[CONN];
  // The client took what was queued: its io deadline starts over.
  if (c.kind === IO) c.restart(IO);
  c.flow();
}
function onEnd(this: Tagged): void {
  // A client may send its queries and half-close (RFC 7766 §6.2.4): answer them, then close.
  this[CONN].readEnded = true;
  this[CONN].flow();
}

class Connection {
  pending: Buffer = EMPTY;
  inFlight = 0;
  readEnded = false;
  /** Which deadline runs (see the header comment) and the sweep tick at which it closes the socket. */
  kind: Deadline = NONE;
  expires = Infinity;
  /** Never below the socket's high-water mark: only a write() that returned false brings a 'drain'. */
  readonly queueBound: number;

  constructor(
    readonly socket: Tagged,
    readonly owner: TcpConnections,
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
      // A whole query arrived: the next one gets its own io deadline.
      this.kind = NONE;
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
