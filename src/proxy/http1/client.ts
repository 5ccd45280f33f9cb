/**
 * One client connection: finds request heads in the bytes, frames request bodies (Content-Length or
 * chunked, forwarded unchanged), and runs exchanges one after the other. Pipelined requests are
 * read ahead but only started once the previous response is complete and the client took it; at
 * most MAX_BUFFERED bytes wait, then reading pauses. A malformed head gets 400 (414, 431, 505) at
 * once and the connection closes: after a framing error nothing later on it can be trusted.
 *
 * Every state has a deadline (the `deadline` field, checked by the sweeper): waiting for the next
 * request (keep-alive idle), a head that started but did not end (→ 408), a client that does not
 * take its answer before the next request starts, and a connection this proxy ended, whose client
 * never closes its side (destroyed after CLOSE_LINGER_MS).
 */
import type { Socket } from 'node:net';
import type { Route } from '../table.js';
import { BodyFraming } from './body-framing.js';
import type { EngineContext } from './context.js';
import { Exchange, type ClientSide } from './exchange.js';
import { Body, earlyHeadError, HeadError, headText, parseRequestHead, type RequestHead } from './parse.js';
import type { UpConn } from './pool.js';
import { plainReply } from './reply.js';
import { relay } from './tunnel.js';

export const MAX_HEAD = 16 * 1024;
const MAX_BUFFERED = 64 * 1024;
/** How long a connection this proxy ended may wait for the client's FIN once our bytes went out. */
export const CLOSE_LINGER_MS = 2_000;

export interface ClientOptions {
  ctx: EngineContext;
  /** The route for a Host value, or undefined (→ 404 with `notFound(host)`). */
  resolve(host: string): Route | undefined;
  /** An object replaced whenever routes change (the table): a connection's route memo holds while it is the same. */
  routes(): object;
  notFound(host: string): string;
  /** Longest wait for the next request head on an idle connection. */
  keepAliveMs: number;
  /** Longest time from a head's first byte to its end (HAProxy's `timeout http-request`); then 408. */
  headTimeoutMs: number;
}

const enum C {
  Head,
  Body,
  /** Request read; its response is not complete yet. */
  Wait,
  /** Upgrade requested: bytes after the head are held for the tunnel. */
  Upgrade,
  /** Response complete, but the client has not taken it yet: the next request waits. */
  Drain,
  Closed,
}

export class ClientConn implements ClientSide {
  readonly remote: string;
  halfClosed = false;
  deadline: number;
  #state = C.Head;
  #pending: Buffer | null = null;
  /** The pending bytes started a head: its head deadline is armed. */
  #headStarted = false;
  /** Bytes of the pending head that `earlyHeadError` already checked. */
  #checked = 0;
  #ex: Exchange | null = null;
  #req: RequestHead | null = null;
  #framing: BodyFraming | null = null;
  #parsing = false;
  /** The last Host value resolved on this connection, the route found and the table it came from. */
  #host = '';
  #route: Route | undefined;
  #routes: object | null = null;

  constructor(
    private readonly o: ClientOptions,
    readonly socket: Socket,
    private readonly onClose: (c: ClientConn) => void,
  ) {
    this.remote = socket.remoteAddress ?? '';
    this.deadline = o.ctx.sweeper.now + o.keepAliveMs;
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('error', noop);
    socket.on('close', this.#onClose);
  }

  expire(): void {
    // A head that started but never ended: say so (HAProxy answers 408 too), then close.
    if (this.#state === C.Head && this.#headStarted) return this.#refuse(408, 'request head not received in time');
    this.socket.destroy();
  }

  #onData = (chunk: Buffer): void => {
    switch (this.#state) {
      case C.Head:
        this.#pending = this.#pending === null ? chunk : Buffer.concat([this.#pending, chunk]);
        return this.#parse();
      case C.Body:
        return this.#body(chunk, 0);
      case C.Wait:
      case C.Upgrade:
      case C.Drain:
        this.#pending = this.#pending === null ? chunk : Buffer.concat([this.#pending, chunk]);
        if (this.#pending.length > MAX_BUFFERED) this.socket.pause();
        return;
    }
  };

  #onEnd = (): void => {
    this.halfClosed = true;
    if (this.#state === C.Head) this.#close();
    else if (this.#state === C.Body) this.socket.destroy(); // the request can never complete
  };

  #onClose = (): void => {
    this.#state = C.Closed;
    this.#ex?.clientClosed();
    this.#ex = null;
    this.onClose(this);
  };

  /** Starts every complete request head buffered, while no exchange is running. */
  #parse(): void {
    this.#parsing = true;
    while (this.#state === C.Head && this.#pending !== null) {
      let buf = this.#pending;
      // Stray CRLFs between requests are ignored (RFC 9112 §2.2).
      let skip = 0;
      while (skip < buf.length && (buf[skip] === 13 || buf[skip] === 10)) skip++;
      if (skip === buf.length) {
        this.#pending = null;
        this.#checked = 0;
        break;
      }
      if (skip > 0) {
        buf = this.#pending = buf.subarray(skip);
        this.#checked = 0;
      }
      const head = headText(buf, 0);
      if (head === undefined || head.length > MAX_HEAD) {
        if (head !== undefined || buf.length > MAX_HEAD + 3) this.#refuse(431, 'request head too large');
        else this.#incomplete(buf);
        break;
      }
      const idx = head.length;
      this.#pending = idx + 4 < buf.length ? buf.subarray(idx + 4) : null;
      this.#headStarted = false;
      this.#checked = 0;
      let req: RequestHead;
      try {
        req = parseRequestHead(head);
      } catch (err) {
        if (!(err instanceof HeadError)) throw err;
        this.#refuse(err.status, `malformed request (${err.message})`);
        break;
      }
      this.#dispatch(req);
    }
    this.#parsing = false;
    if (this.halfClosed && this.#state === C.Head) this.#close();
  }

  /** Part of a head: refused now when it already cannot be valid, else its head deadline runs (never extended). */
  #incomplete(buf: Buffer): void {
    const err = earlyHeadError(buf, this.#checked);
    this.#checked = buf.length;
    if (err !== null) return this.#refuse(err.status, `malformed request (${err.message})`);
    if (this.#headStarted) return;
    this.#headStarted = true;
    this.deadline = Math.min(this.deadline, this.o.ctx.sweeper.now + this.o.headTimeoutMs);
  }

  #dispatch(req: RequestHead): void {
    this.deadline = Infinity;
    if (req.method === 'CONNECT') return this.#refuse(405, 'CONNECT is not supported');
    // Keep-alive clients send the same Host again and again: one string compare instead of a lookup.
    const routes = this.o.routes();
    let route = this.#route;
    if (req.host !== this.#host || routes !== this.#routes || route === undefined) {
      route = this.#route = this.o.resolve(req.host);
      this.#host = req.host;
      this.#routes = routes;
    }
    if (route === undefined) {
      const close = !req.keepAlive || req.body !== Body.None || this.halfClosed;
      this.socket.write(plainReply(404, this.o.notFound(req.host), close, req), 'latin1');
      return this.finished(close);
    }
    this.#req = req;
    if (req.upgrade) this.#state = C.Upgrade;
    else if (req.body === Body.None) this.#state = C.Wait;
    else {
      this.#state = C.Body;
      this.#framing = BodyFraming.for(req.body, req.length);
    }
    const ex = (this.#ex = new Exchange(this.o.ctx, route, this, req));
    ex.start();
    if (this.#state === C.Body && this.#pending !== null && this.#ex === ex) {
      const rest = this.#pending;
      this.#pending = null;
      this.#body(rest, 0);
    }
  }

  /** Request body bytes from `buf[start…]`; what follows the body is the next request. */
  #body(buf: Buffer, start: number): void {
    const ex = this.#ex!;
    let end: number;
    try {
      end = this.#framing!.feed(buf, start, buf.length);
    } catch {
      this.socket.destroy(); // framing lost mid-body: no status line can be trusted now
      return;
    }
    if (end === -1) return ex.bodyChunk(start === 0 ? buf : buf.subarray(start));
    ex.bodyChunk(buf.subarray(start, end));
    this.#framing = null;
    if (end < buf.length) this.#pending = buf.subarray(end);
    this.#state = C.Wait;
    ex.bodyEnd();
  }

  finished(close: boolean): void {
    this.#ex = null;
    this.#req = null;
    if (this.#state === C.Closed) return;
    if (close || this.#state === C.Body || this.#state === C.Upgrade) return this.#close();
    // A client that does not read its answers gets no next one started: its unread bytes stay
    // bounded by one response, and the wait has the body idle deadline.
    if (this.socket.writableNeedDrain) {
      this.#state = C.Drain;
      this.deadline = this.o.ctx.sweeper.now + this.o.ctx.idleTimeoutMs;
      this.socket.once('drain', this.#drained);
      return;
    }
    this.#nextRequest();
  }

  #drained = (): void => {
    if (this.#state === C.Drain) this.#nextRequest();
  };

  #nextRequest(): void {
    this.#state = C.Head;
    this.deadline = this.o.ctx.sweeper.now + this.o.keepAliveMs;
    if (this.socket.isPaused()) this.socket.resume();
    if (!this.#parsing) this.#parse();
  }

  pauseBody(): void {
    this.socket.pause();
  }

  resumeBody(): void {
    if (this.#state === C.Body) this.socket.resume();
  }

  tunnel(conn: UpConn, done: () => void): void {
    this.#state = C.Closed;
    this.#ex = null;
    this.deadline = Infinity;
    const s = this.socket;
    s.off('data', this.#onData).off('end', this.#onEnd).off('close', this.#onClose);
    s.once('close', () => this.onClose(this));
    if (this.#pending !== null) conn.socket.write(this.#pending);
    this.#pending = null;
    if (s.isPaused()) s.resume();
    relay(s, conn, this.o.ctx.tunnels, done);
  }

  #refuse(status: number, message: string): void {
    this.socket.write(plainReply(status, message, true, this.#req ?? undefined), 'latin1');
    this.#close();
  }

  /**
   * Ends our side. The client should close its side in turn; one that does not is cut once our
   * bytes went out and CLOSE_LINGER_MS passed (until they went out, the body idle deadline holds).
   */
  #close(): void {
    this.#state = C.Closed;
    this.#pending = null;
    const sweeper = this.o.ctx.sweeper;
    this.deadline = sweeper.now + this.o.ctx.idleTimeoutMs;
    this.socket.end(() => {
      this.deadline = sweeper.now + CLOSE_LINGER_MS;
    });
  }
}

function noop(): void {}
