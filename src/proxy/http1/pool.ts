/**
 * Keep-alive raw sockets to one instance. A connection serves one exchange at a time (no upstream
 * pipelining); idle ones are reused newest first (warm, and the oldest age out), and one that the
 * instance closed or reset while idle is dropped at once. At the connection limit, exchanges wait
 * in line for the next free one.
 */
import { connect, type Socket } from 'node:net';
import type { Sweeper } from '../sweep.js';

/**
 * Read buffer of one instance connection (HAProxy's `tune.bufsize` is 16 KiB too). Reads land in
 * it through `onread`: no Buffer and no Readable push per chunk. A chunk handed to a consumer is a
 * view of it, valid during the call only: after writing it, the consumer calls `wrote(socket)`, and
 * when that write is still pending the next read goes to a fresh buffer instead.
 */
const READ_BUFFER = 16 * 1024;

export interface PoolOptions {
  /** Upper bound of connections to one instance. */
  connections: number;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  /** Longest silence while a body streams. */
  idleTimeoutMs: number;
  /** How long an idle upstream connection is kept open. */
  keepAliveMs: number;
}

/** What a connection reports to the exchange using it. */
export interface ConnUser {
  /** The connection is attached (reused: it served a request before). */
  attach(conn: UpConn, reused: boolean): void;
  connected(): void;
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
    s.on('end', () => this.user?.ended());
    s.on('error', (err) => (this.#err = err));
    s.on('close', () => {
      this.deadline = Infinity;
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
    else if (this.user !== null) this.user.data(chunk);
    else this.socket.destroy(); // bytes nobody asked for: the connection's framing is lost
    return true;
  };

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

export class Http1Pool {
  readonly #idle: UpConn[] = [];
  readonly #all = new Set<UpConn>();
  readonly #waiting: ConnUser[] = [];
  #closing = false;
  #closed: (() => void) | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    readonly o: PoolOptions,
    readonly sweeper: Sweeper,
  ) {}

  /** Calls `user.attach` now, or when a connection frees up. `fresh`: never an idle one. */
  acquire(user: ConnUser, fresh = false): void {
    const idle = this.#idle;
    if (!fresh && idle.length > 0) {
      const conn = idle.pop()!;
      conn.user = user;
      user.attach(conn, true);
      return;
    }
    if (this.#all.size >= this.o.connections) {
      if (fresh && idle.length > 0) idle.shift()!.socket.destroy();
      else return void this.#waiting.push(user);
    }
    const conn = new UpConn(this, this.host, this.port);
    this.#all.add(conn);
    conn.user = user;
    user.attach(conn, false);
  }

  /** A waiting exchange gave up (its client left). */
  cancel(user: ConnUser): void {
    const i = this.#waiting.indexOf(user);
    if (i !== -1) this.#waiting.splice(i, 1);
  }

  release(conn: UpConn, reusable: boolean, keepAliveHintMs: number): void {
    if (!reusable || conn.socket.destroyed || !conn.socket.writable) return void conn.socket.destroy();
    const next = this.#waiting.shift();
    if (next !== undefined) {
      conn.user = next;
      next.attach(conn, true);
      return;
    }
    if (this.#closing) return void conn.socket.destroy();
    // An instance that announces a keep-alive timeout closes at that moment: leave it a second early.
    const ms = keepAliveHintMs > 0 ? Math.min(this.o.keepAliveMs, keepAliveHintMs - 1_000) : this.o.keepAliveMs;
    if (ms <= 0) return void conn.socket.destroy();
    conn.deadline = this.sweeper.now + ms;
    this.#idle.push(conn);
  }

  forget(conn: UpConn): void {
    if (!this.#all.delete(conn)) return;
    this.sweeper.delete(conn);
    const i = this.#idle.indexOf(conn);
    if (i !== -1) this.#idle.splice(i, 1);
    // A freed slot lets the first waiting exchange connect.
    const next = this.#closing ? undefined : this.#waiting.shift();
    if (next !== undefined) this.acquire(next, true);
    if (this.#all.size === 0) this.#closed?.();
  }

  get size(): number {
    return this.#all.size;
  }

  /** No new connections; idle ones close now, busy ones after their exchange. */
  drain(): Promise<void> {
    this.#closing = true;
    for (const c of [...this.#idle]) c.socket.destroy();
    if (this.#all.size === 0) return Promise.resolve();
    return new Promise((r) => (this.#closed = r));
  }

  /** Cuts every connection, busy or not. */
  destroy(): Promise<void> {
    const done = this.drain();
    for (const c of [...this.#all]) c.socket.destroy();
    return done;
  }
}
