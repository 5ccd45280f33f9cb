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

export function serveTcp(conn: Socket, handle: Handler, log: Logger, limits: TcpLimits): void {
  let pending: Buffer = Buffer.alloc(0);
  let inFlight = 0;
  let readEnded = false;
  /** Why the connection's deadline timer runs: 'idle' or 'io' (see the header comment). */
  let timer: NodeJS.Timeout | undefined;
  let timerKind: 'idle' | 'io' | undefined;
  conn.setNoDelay(true);
  conn.on('error', () => conn.destroy());
  conn.on('close', () => clearTimeout(timer));

  const arm = (kind: 'idle' | 'io') => {
    // An io deadline keeps running while its condition holds: progress restarts it explicitly.
    if (timerKind === kind) return;
    clearTimeout(timer);
    timerKind = kind;
    timer = setTimeout(() => conn.destroy(), kind === 'idle' ? limits.idleMs : limits.ioMs);
  };
  const restart = (kind: 'idle' | 'io') => {
    timerKind = undefined;
    arm(kind);
  };
  // Never below the socket's high-water mark: only a write() that returned false brings a 'drain'.
  const queueBound = Math.max(limits.maxQueuedBytes, conn.writableHighWaterMark);
  const backedUp = () => conn.writableLength >= queueBound;
  /** Sets the deadline for the state the connection is in now; ends it once a half-closed client is served. */
  const settle = () => {
    if (conn.destroyed) return;
    if (backedUp() || pending.length > 0) arm('io');
    else if (inFlight > 0) clearDeadline();
    else if (readEnded) {
      // Everything is answered; the client still has to take the rest before the socket closes.
      if (!conn.writableEnded) conn.end();
      arm('io');
    } else arm('idle');
  };
  const clearDeadline = () => {
    clearTimeout(timer);
    timerKind = undefined;
  };

  const send = (res: Buffer | null) => {
    if (res === null || conn.destroyed || conn.writableEnded) return;
    const frame = Buffer.allocUnsafe(res.length + 2);
    frame.writeUInt16BE(res.length, 0);
    res.copy(frame, 2);
    conn.write(frame);
  };

  /** Answers every complete frame in `pending` while the socket and the upstream budget have room. */
  const drainPending = () => {
    while (pending.length >= 2 && !backedUp() && inFlight < limits.maxInFlight && !conn.destroyed) {
      const len = pending.readUInt16BE(0);
      if (pending.length < 2 + len) break;
      const msg = pending.subarray(2, 2 + len);
      pending = pending.subarray(2 + len);
      // A whole query arrived: the next one gets its own io deadline.
      timerKind = undefined;
      let res: ReturnType<Handler>;
      try {
        res = handle(msg, false);
      } catch (err) {
        log.error({ err }, 'dns handler threw; connection closed');
        conn.destroy();
        return;
      }
      if (res instanceof Promise) {
        inFlight++;
        res
          .then(send, (err) => log.error({ err }, 'dns forward failed'))
          .finally(() => {
            inFlight--;
            flow();
          });
      } else send(res);
    }
  };

  /** Reads only while every answer so far fits the queue bound and the upstream budget has room. */
  const flow = () => {
    drainPending();
    if (conn.destroyed) return;
    const blocked = backedUp() || inFlight >= limits.maxInFlight || (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0));
    if (blocked) conn.pause();
    else if (conn.isPaused() && !readEnded) conn.resume();
    settle();
  };

  conn.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    flow();
  });
  conn.on('drain', () => {
    // The client took what was queued: its io deadline starts over.
    if (timerKind === 'io') restart('io');
    flow();
  });
  conn.on('end', () => {
    readEnded = true;
    // A client may send its queries and half-close (RFC 7766 §6.2.4): answer them, then close.
    flow();
  });
  arm('idle');
}
