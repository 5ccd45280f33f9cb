/**
 * DNS over TCP (RFC 7766) on Node's `net` — the fallback of the dns-tcp addon (tcp-native.ts), which
 * keeps the same contract in C: one connection, 2-byte length framing, pipelined queries answered as they
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
import { Connection, IDLE, IO, type ConnectionOwner } from './tcp-connection.js';

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
  /**
   * Not a limit, but it travels with them (startDnsServer's `tcp` option): `auto` (default) serves
   * through the dns-tcp addon when it loads (tcp-native.ts), `node` through `net` and this file.
   */
  io?: 'auto' | 'node';
}

export const DEFAULT_TCP_LIMITS: TcpLimits = {
  maxConnections: 100,
  idleMs: 10_000,
  ioMs: 3_000,
  maxQueuedBytes: 64 * 1024,
  maxInFlight: 16,
};

const CONN = Symbol('dns tcp connection');
type Tagged = Socket & { [CONN]: Connection };

/** The open connections of one listener, and the sweep that enforces their deadlines. */
export class TcpConnections implements ConnectionOwner {
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
    const conn = new Connection(socket, this);
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
  (this[CONN].owner as TcpConnections).open.delete(this[CONN]);
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
