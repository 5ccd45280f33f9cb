/**
 * Keep-alive raw sockets to one instance. A connection serves one exchange at a time (no upstream
 * pipelining); idle ones are reused newest first (warm, and the oldest age out), and one that the
 * instance closed or reset while idle is dropped at once. At the connection limit, exchanges wait
 * in line for the next free one, at most `queueTimeoutMs` (then they answer 503).
 *
 * Out of sync: a correct instance sends nothing between a complete response and the next request.
 * Bytes on an idle connection, or after a complete response, mean it answered one time too many
 * (or sent a body after a HEAD answer): handed to the next exchange they would shift every later
 * answer onto the wrong client. Such a connection is closed, never reused. A reused connection is
 * therefore handed over only after the current poll phase (`setImmediate`), when every byte that
 * had arrived with the event that freed it has been read; bytes read while the hand-over is
 * pending close it and the exchange gets a fresh connection (nothing of its request was sent).
 */
import type { Sweeper } from '../sweep.js';
import { UpConn, type ConnUser } from './up-conn.js';

export { UpConn, type ConnUser } from './up-conn.js';

export interface PoolOptions {
  /** Upper bound of connections to one instance. */
  connections: number;
  connectTimeoutMs: number;
  /** Longest wait for a connection slot; default `connectTimeoutMs` (as HAProxy's `timeout queue`). */
  queueTimeoutMs?: number;
  headersTimeoutMs: number;
  /** Longest silence while a body streams. */
  idleTimeoutMs: number;
  /** How long an idle upstream connection is kept open. */
  keepAliveMs: number;
}

/** Connections whose hand-over waits for the end of the poll phase (all pools: one setImmediate). */
let handing: UpConn[] = [];
let spare: UpConn[] = [];

function handLater(conn: UpConn): void {
  conn.handing = true;
  conn.deadline = Infinity;
  if (handing.push(conn) === 1) setImmediate(handAll);
}

function handAll(): void {
  const list = handing;
  handing = spare;
  for (const conn of list) conn.handOver();
  list.length = 0;
  spare = list;
}

export class Http1Pool {
  readonly #idle: UpConn[] = [];
  readonly #all = new Set<UpConn>();
  /** Exchanges waiting for a slot, and when each started waiting (epoch ms, the sweeper's clock). */
  readonly #waiting: ConnUser[] = [];
  readonly #since: number[] = [];
  readonly #queueTimeoutMs: number;
  /** The first waiter's queue deadline (the pool is in the sweeper while anyone waits). */
  deadline = Infinity;
  #closing = false;
  #closed: (() => void) | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    readonly o: PoolOptions,
    readonly sweeper: Sweeper,
  ) {
    this.#queueTimeoutMs = o.queueTimeoutMs ?? o.connectTimeoutMs;
  }

  /** Calls `user.attach` (after the poll phase for a reused connection), or when a slot frees up. `fresh`: never an idle one. */
  acquire(user: ConnUser, fresh = false): void {
    const idle = this.#idle;
    if (!fresh && idle.length > 0) {
      const conn = idle.pop()!;
      conn.user = user;
      handLater(conn);
      return;
    }
    if (this.#all.size >= this.o.connections) {
      if (fresh && idle.length > 0) idle.shift()!.socket.destroy();
      else return this.#wait(user);
    }
    this.#open(user);
  }

  #open(user: ConnUser): void {
    const conn = new UpConn(this, this.host, this.port);
    this.#all.add(conn);
    conn.user = user;
    user.attach(conn, false);
  }

  #wait(user: ConnUser): void {
    if (this.#waiting.length === 0) {
      this.deadline = this.sweeper.now + this.#queueTimeoutMs;
      this.sweeper.add(this);
    }
    this.#waiting.push(user);
    this.#since.push(this.sweeper.now);
  }

  #nextWaiting(): ConnUser | undefined {
    const user = this.#waiting.shift();
    this.#since.shift();
    this.#rearm();
    return user;
  }

  #rearm(): void {
    if (this.#waiting.length > 0) this.deadline = this.#since[0] + this.#queueTimeoutMs;
    else {
      this.deadline = Infinity;
      this.sweeper.delete(this);
    }
  }

  /** The queue deadline passed: every exchange waiting that long gives up (→ 503). */
  expire(now: number): void {
    const limit = now - this.#queueTimeoutMs - this.sweeper.tickMs;
    while (this.#waiting.length > 0 && this.#since[0] <= limit) {
      this.#since.shift();
      this.#waiting.shift()!.queueTimedOut();
    }
    this.#rearm();
  }

  /** An exchange gave up (its client left): out of the queue, or its pending hand-over undone. */
  cancel(user: ConnUser): void {
    const i = this.#waiting.indexOf(user);
    if (i !== -1) {
      this.#waiting.splice(i, 1);
      this.#since.splice(i, 1);
      this.#rearm();
      return;
    }
    for (const conn of handing) {
      if (conn.user !== user || !conn.handing) continue;
      conn.handing = false;
      conn.user = null;
      this.release(conn, true, 0);
    }
  }

  /** Bytes arrived while `conn` was being handed over: it is closed and its user gets a fresh connection. */
  outOfSync(conn: UpConn): void {
    const user = conn.user;
    conn.handing = false;
    conn.user = null;
    conn.socket.destroy();
    this.#drop(conn);
    if (user === null) return;
    // Draining or stopping: no new connection; the user fails over as if it never connected.
    if (this.#closing) user.closed(undefined);
    else this.acquire(user, true);
  }

  release(conn: UpConn, reusable: boolean, keepAliveHintMs: number): void {
    if (!reusable || conn.socket.destroyed || !conn.socket.writable) return void conn.socket.destroy();
    const next = this.#nextWaiting();
    if (next !== undefined) {
      conn.user = next;
      handLater(conn);
      return;
    }
    if (this.#closing) return void conn.socket.destroy();
    // An instance that announces a keep-alive timeout closes at that moment: leave it a second early.
    const ms = keepAliveHintMs > 0 ? Math.min(this.o.keepAliveMs, keepAliveHintMs - 1_000) : this.o.keepAliveMs;
    if (ms <= 0) return void conn.socket.destroy();
    conn.deadline = this.sweeper.now + ms;
    this.#idle.push(conn);
  }

  /** Out of the pool's books; false when it was not in them any more. */
  #drop(conn: UpConn): boolean {
    if (!this.#all.delete(conn)) return false;
    this.sweeper.delete(conn);
    const i = this.#idle.indexOf(conn);
    if (i !== -1) this.#idle.splice(i, 1);
    return true;
  }

  forget(conn: UpConn): void {
    if (!this.#drop(conn)) return;
    // A freed slot lets the first waiting exchange connect.
    const next = this.#closing ? undefined : this.#nextWaiting();
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
