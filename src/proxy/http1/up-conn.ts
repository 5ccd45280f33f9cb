/**
 * One raw keep-alive socket to an instance (pool.ts keeps them). It reports to the exchange using
 * it (`ConnUser`) and reads into a reused buffer, see READ_BUFFER.
 */
import { connect, type Socket } from 'node:net';
import type { Http1Pool } from './pool.js';

/**
 * Read buffer of one instance connection (HAProxy's `tune.bufsize` is 16 KiB too). Reads land in
 * it through `onread`: no Buffer and no Readable push per chunk. A chunk handed to a consumer is a
 * view of it, valid during the call only: after writing it, the consumer calls `wrote(socket)`, and
 * when that write is still pending the next read goes to a fresh buffer instead.
 */
const READ_BUFFER = 16 * 1024;

/** What a connection reports to the exchange using it. */
export interface ConnUser {
  /** The connection is attached (reused: it served a request before). */
  attach(conn: UpConn, reused: boolean): void;
  connected(): void;
  /** No connection slot freed up within the queue timeout; the user is no longer waiting. */
  queueTimedOut(): void;
  data(chunk: Buffer): void;
  /** The instance finished its side (FIN). */
  ended(): void;
  /** The socket is gone; `err` when it failed. */
  closed(err: Error | undefined): void;
  timedOut(): void;
}

export class UpConn {
  readonly socket: Socket;
  user: ConnUser | null = null;
  deadline: number;
  isConnected = false;
  #err: Error | undefined;
  #buf = Buffer.allocUnsafe(READ_BUFFER);
  /** Once detached (a tunnel): where the bytes go. */
  #sink: ((chunk: Buffer) => void) | null = null;
  /** Handed to `user`, who is told (attach) after the poll phase: see the module comment. */
  handing = false;

  constructor(
    private readonly pool: Http1Pool,
    host: string,
    port: number,
  ) {
    const s = (this.socket = connect({ host, port, noDelay: true, onread: { buffer: this.#buffer, callback: this.#onRead } }));
    this.deadline = pool.sweeper.now + pool.o.connectTimeoutMs;
    s.on('connect', () => {
      this.isConnected = true;
      this.user?.connected();
    });
    s.on('end', () => {
      if (!this.handing) this.user?.ended();
    });
    s.on('error', (err) => (this.#err = err));
    s.on('close', () => {
      this.deadline = Infinity;
      // Closed by the instance while being handed over: the user never saw it, give it a fresh one.
      if (this.handing) return pool.outOfSync(this);
      pool.forget(this);
      const user = this.user;
      this.user = null;
      user?.closed(this.#err);
    });
    pool.sweeper.add(this);
  }

  #buffer = (): Buffer => this.#buf;

  /** `buf` is the Buffer `#buffer` returned for this read. Pausing goes through `socket.pause()`. */
  #onRead = (n: number, buf: Uint8Array): boolean => {
    const chunk = (buf as Buffer).subarray(0, n);
    if (this.#sink !== null) this.#sink(chunk);
    else if (this.handing) this.pool.outOfSync(this);
    else if (this.user !== null) this.user.data(chunk);
    else this.socket.destroy(); // bytes nobody asked for: out of sync (see the module comment)
    return true;
  };

  /** The deferred hand-over: the connection stayed quiet, the user may write its request now. */
  handOver(): void {
    if (!this.handing) return;
    this.handing = false;
    const user = this.user;
    if (user !== null && !this.socket.destroyed) user.attach(this, true);
  }

  /** After a write of a view of the last chunk: keeps that chunk when the write did not complete at once. */
  wrote(to: Socket): void {
    if (to.writableLength !== 0) this.#buf = Buffer.allocUnsafe(READ_BUFFER);
  }

  expire(): void {
    this.deadline = Infinity;
    if (this.user) this.user.timedOut();
    else this.socket.destroy();
  }

  /** Hands the connection back after a complete exchange (`reusable` false: close it). */
  release(reusable: boolean, keepAliveHintMs = 0): void {
    this.user = null;
    this.pool.release(this, reusable, keepAliveHintMs);
  }

  /**
   * Leaves the pool for good (upgraded to a tunnel): no timeouts, no events forwarded; the bytes
   * read from now on go to `sink` (with the same rule: `wrote(socket)` after writing a chunk).
   */
  detach(sink: (chunk: Buffer) => void): Socket {
    this.user = null;
    this.#sink = sink;
    this.deadline = Infinity;
    this.socket.removeAllListeners('connect').removeAllListeners('end').removeAllListeners('close');
    this.pool.forget(this);
    return this.socket;
  }
}

