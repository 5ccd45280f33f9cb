/**
 * One proxied request on raw sockets: picks an instance, sends the rewritten head (with the first
 * body bytes in the same write), streams the request body, parses the response head, forwards the
 * body in its own framing with back-pressure, then hands the connection back to the pool. Retries,
 * ejection, counters and the access line live here too.
 *
 * Retry rule: a request whose connection never opened is retried on another instance whatever its
 * method (nothing was sent: the body is still queued here); one sent without getting a response
 * byte is retried only when idempotent and bodiless — on a *fresh* connection to the same or another
 * instance when it was a reused keep-alive connection that the instance closed meanwhile. Never
 * after a response byte, never after a header timeout.
 */
import type { Socket } from 'node:net';
import { recordFailure, recordSuccess } from '../ejection.js';
import type { ForwardContext } from '../forward.js';
import { countStatus } from '../stats.js';
import type { Route } from '../table.js';
import type { Upstream } from '../upstream.js';
import { ChunkedDecoder } from './chunked.js';
import { Body, HeadError, headText, parseResponseHead, type RequestHead, type ResponseHead } from './parse.js';
import type { ConnUser, UpConn } from './pool.js';
import { clientResponseHead, plainReply, upstreamRequestHead } from './reply.js';
import type { Sweeper } from '../sweep.js';

/** The client connection as an exchange sees it. */
export interface ClientSide {
  readonly socket: Socket;
  readonly remote: string;
  /** The client shut its sending side: answer, then close. */
  readonly halfClosed: boolean;
  /** The exchange is over; `close`: end the client connection after what was written. */
  finished(close: boolean): void;
  pauseBody(): void;
  resumeBody(): void;
  /** A 101 went out: relay bytes both ways with the instance connection; `done` once both sides closed. */
  tunnel(conn: UpConn, done: () => void): void;
}

export interface EngineContext extends ForwardContext {
  sweeper: Sweeper;
  headersTimeoutMs: number;
  idleTimeoutMs: number;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
const MAX_RESPONSE_HEAD = 64 * 1024;
/** Request body bytes held while no connection can take them (then the client is paused). */
const MAX_QUEUED = 64 * 1024;

export const HEADERS_TIMEOUT = 'UND_ERR_HEADERS_TIMEOUT';
const CONNECT_TIMEOUT = 'UND_ERR_CONNECT_TIMEOUT';
const BODY_TIMEOUT = 'UND_ERR_BODY_TIMEOUT';
const SOCKET = 'UND_ERR_SOCKET';

/** Error codes kept from the undici era, so log searches and alerts keep matching. */
function codedError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

const enum R {
  Head,
  Body,
  Done,
}

export class Exchange implements ConnUser {
  #u: Upstream | undefined;
  /** This exchange counts in `#u.inFlight`. */
  #holding = false;
  #conn: UpConn | null = null;
  #reused = false;
  #tried: Upstream[] | null = null;
  #attempts = 0;
  #sent = false;
  #gotByte = false;
  #reqDone: boolean;
  #queue: Buffer[] | null = null;
  #queued = 0;
  #r = R.Head;
  #res: ResponseHead | undefined;
  #pending: Buffer | null = null;
  #left = 0;
  #chunks: ChunkedDecoder | null = null;
  #dechunk = false;
  #closeClient = false;
  #headWritten = false;
  #over = false;
  #status = 0;
  readonly #head: string;
  readonly #started = performance.now();
  /** Epoch ms when the current attempt picked its instance (one clock read serves the whole exchange). */
  #now = 0;

  constructor(
    private readonly ctx: EngineContext,
    private readonly route: Route,
    private readonly client: ClientSide,
    private readonly req: RequestHead,
  ) {
    this.#reqDone = req.body === Body.None;
    this.#head = upstreamRequestHead(req, client.remote, 'http');
  }

  start(): void {
    this.#next(undefined, false);
  }

  #next(lastError: Error | undefined, fresh: boolean): void {
    const now = (this.#now = Date.now());
    const u = this.ctx.policy(this.route.upstreams, this.route.state, now, this.#tried);
    if (u === undefined) {
      if (lastError) return this.#fail(lastError);
      return this.#reply(503, `no healthy instance of service "${this.route.service}"`);
    }
    this.#attempts++;
    this.#u = u;
    this.#holding = true;
    u.inFlight++;
    this.#sent = false;
    this.#gotByte = false;
    u.http1.acquire(this, fresh);
  }

  attach(conn: UpConn, reused: boolean): void {
    this.#conn = conn;
    this.#reused = reused;
    if (reused) this.#send();
  }

  connected(): void {
    this.#send();
  }

  /** Head plus whatever body arrived so far, in one write. */
  #send(): void {
    const conn = this.#conn!;
    const sweeper = this.ctx.sweeper;
    conn.deadline = sweeper.now + (this.#reqDone ? this.ctx.headersTimeoutMs : this.ctx.idleTimeoutMs);
    this.#sent = true;
    const queue = this.#queue;
    if (queue === null) {
      conn.socket.write(this.#head, 'latin1');
      return;
    }
    this.#queue = null;
    const head = Buffer.from(this.#head, 'latin1');
    const ok = conn.socket.write(queue.length === 1 ? Buffer.concat([head, queue[0]]) : Buffer.concat([head, ...queue]));
    if (this.#queued > MAX_QUEUED) this.#afterWrite(ok);
    this.#queued = 0;
  }

  #afterWrite(ok: boolean): void {
    if (ok) return this.client.resumeBody();
    this.client.pauseBody();
    this.#conn!.socket.once('drain', () => this.client.resumeBody());
  }

  /** Request body bytes (raw, framing included), owned by the caller's buffer. */
  bodyChunk(chunk: Buffer): void {
    if (this.#over || chunk.length === 0) return;
    const conn = this.#conn;
    if (this.#sent && conn !== null) {
      if (this.#r === R.Head) conn.deadline = this.ctx.sweeper.now + this.ctx.idleTimeoutMs;
      if (!conn.socket.write(chunk)) this.#afterWrite(false);
      return;
    }
    (this.#queue ??= []).push(chunk);
    this.#queued += chunk.length;
    if (this.#queued > MAX_QUEUED) this.client.pauseBody();
  }

  bodyEnd(): void {
    this.#reqDone = true;
    if (this.#over) return;
    const conn = this.#conn;
    if (this.#r === R.Head && this.#sent && conn !== null) conn.deadline = this.ctx.sweeper.now + this.ctx.headersTimeoutMs;
  }

  data(chunk: Buffer): void {
    this.#gotByte = true;
    if (this.#r === R.Body) this.#body(chunk, 0, null);
    else this.#onHead(chunk);
  }

  #onHead(chunk: Buffer): void {
    let buf = chunk;
    let from = 0;
    if (this.#pending !== null) {
      from = Math.max(0, this.#pending.length - 3);
      buf = Buffer.concat([this.#pending, chunk]);
      this.#pending = null;
    }
    for (;;) {
      const head = headText(buf, from);
      if (head === undefined) {
        if (buf.length > MAX_RESPONSE_HEAD) return this.#failed(codedError('UND_ERR_HEADERS_OVERFLOW', 'response head too large'));
        // A copy: the chunk is a view of the connection's read buffer, reused by the next read.
        this.#pending = Buffer.from(buf);
        return;
      }
      let res: ResponseHead;
      try {
        res = parseResponseHead(head, this.req.method);
      } catch (err) {
        if (err instanceof HeadError) return this.#failed(codedError('UND_ERR_INVALID_RESPONSE', err.message));
        throw err;
      }
      const start = head.length + 4;
      if (res.status >= 200) return this.#final(res, buf, start);
      if (res.status === 101) {
        if (this.req.upgrade) return this.#upgrade(buf);
        return this.#failed(codedError('UND_ERR_INVALID_RESPONSE', '101 without an upgrade request'));
      }
      // Interim answers (100 Continue, 103 Early Hints) go to HTTP/1.1 clients as they come.
      if (!this.req.http10) this.client.socket.write(clientResponseHead(res, false, ''), 'latin1');
      this.#conn!.deadline = this.ctx.sweeper.now + this.ctx.headersTimeoutMs;
      buf = buf.subarray(start);
      from = 0;
    }
  }

  #final(res: ResponseHead, buf: Buffer, start: number): void {
    const req = this.req;
    this.#res = res;
    this.#status = res.status;
    this.#dechunk = res.body === Body.Chunked && req.http10;
    let connection = '';
    if (!req.keepAlive || req.upgrade || this.client.halfClosed || res.body === Body.UntilClose || this.#dechunk) {
      connection = 'close';
      this.#closeClient = true;
    } else if (req.http10) connection = 'keep-alive';
    // A head with nothing to drop or add goes out as received, in one write with the body bytes.
    const asIs = res.plain && connection === '';
    const head = asIs ? null : clientResponseHead(res, !this.#dechunk, connection);
    this.#headWritten = true;
    this.#r = R.Body;
    if (res.body === Body.Length) this.#left = res.length;
    else if (res.body === Body.Chunked) this.#chunks = new ChunkedDecoder();
    this.#conn!.deadline = this.ctx.sweeper.now + this.ctx.idleTimeoutMs;
    this.#body(buf, start, head, asIs ? 0 : start);
  }

  /**
   * Forwards `buf[start…]` up to the end of the body; `head` (not yet written) goes in the same
   * write, or the received head `buf[from, start)` does.
   */
  #body(buf: Buffer, start: number, head: string | null, from = start): void {
    const res = this.#res!;
    let end = buf.length;
    let done = false;
    switch (res.body) {
      case Body.None:
        end = start;
        done = true;
        break;
      case Body.Length:
        end = Math.min(buf.length, start + this.#left);
        this.#left -= end - start;
        done = this.#left === 0;
        break;
      case Body.Chunked:
        try {
          if (this.#dechunk) {
            if (head !== null) this.client.socket.write(head, 'latin1');
            head = null;
            const at = this.#chunks!.feed(buf, start, buf.length, (b, s, e) => this.client.socket.write(b.subarray(s, e)));
            this.#conn!.wrote(this.client.socket);
            end = start; // the spans went out already
            if (at !== -1) return this.#ended(at < buf.length);
            break;
          }
          const at = this.#chunks!.feed(buf, start, buf.length);
          if (at !== -1) {
            end = at;
            done = true;
          }
        } catch (err) {
          return this.#midBodyFailure(err as Error);
        }
        break;
      case Body.UntilClose:
        break;
    }
    let ok = true;
    const socket = this.client.socket;
    if (head !== null) {
      const n = head.length; // latin1: one byte per character
      const out = Buffer.allocUnsafe(n + end - start);
      out.write(head, 0, 'latin1');
      buf.copy(out, n, start, end);
      ok = socket.write(out);
    } else if (end > from) {
      ok = socket.write(from === 0 && end === buf.length ? buf : buf.subarray(from, end));
      this.#conn!.wrote(socket);
    }
    if (done) return this.#ended(end < buf.length);
    const conn = this.#conn!;
    conn.deadline = this.ctx.sweeper.now + this.ctx.idleTimeoutMs;
    if (!ok) {
      // Back-pressure: stop reading the instance until the client took what it has.
      conn.socket.pause();
      conn.deadline = Infinity;
      socket.once('drain', () => {
        if (this.#conn !== conn) return;
        conn.deadline = this.ctx.sweeper.now + this.ctx.idleTimeoutMs;
        conn.socket.resume();
      });
    }
  }

  /** The response body is complete; `extra`: the instance sent bytes past it. */
  #ended(extra: boolean): void {
    this.#r = R.Done;
    // Answered before the request body was all in (an early 4xx…): neither connection can be reused.
    if (!this.#reqDone) this.#closeClient = true;
    this.#complete(!extra && this.#reqDone);
  }

  #complete(reusable: boolean): void {
    if (this.#over) return;
    this.#over = true;
    const conn = this.#conn!;
    this.#conn = null;
    const res = this.#res!;
    conn.deadline = Infinity;
    conn.release(reusable && res.keepAlive, res.keepAliveHintMs);
    const u = this.#release();
    if (this.#status >= 500) this.#ejectIfFailing(u, Date.now());
    else recordSuccess(u, this.#now); // only compared with an ejection's end: the attempt's start is close enough
    this.#record(this.#status);
    this.client.finished(this.#closeClient);
  }

  ended(): void {
    if (this.#r === R.Body && this.#res!.body === Body.UntilClose) return this.#ended(false);
    this.#failed(codedError(SOCKET, 'other side closed'));
  }

  closed(err: Error | undefined): void {
    this.#failed(err ?? codedError(SOCKET, 'other side closed'));
  }

  timedOut(): void {
    const conn = this.#conn;
    if (conn === null) return;
    if (!conn.isConnected) return this.#failed(codedError(CONNECT_TIMEOUT, 'connect timeout'));
    if (this.#r === R.Head && this.#reqDone) return this.#failed(codedError(HEADERS_TIMEOUT, 'headers timeout'));
    this.#failed(codedError(BODY_TIMEOUT, 'body timeout'));
  }

  /** The client went away: free the instance's connection (it cannot be reused mid-exchange). */
  clientClosed(): void {
    if (this.#over) return;
    this.#over = true;
    if (!this.#dropConnection()) this.#u?.http1.cancel(this);
    if (this.#holding) this.#release();
    this.#record(499, new Error('client closed the connection'));
  }

  /** Destroys the instance connection mid-exchange (it cannot be reused); false when there was none. */
  #dropConnection(): boolean {
    const conn = this.#conn;
    if (conn === null) return false;
    this.#conn = null;
    conn.user = null;
    conn.socket.destroy();
    return true;
  }

  #release(): Upstream {
    const u = this.#u!;
    if (this.#holding) {
      this.#holding = false;
      u.inFlight--;
    }
    return u;
  }

  #midBodyFailure(err: Error): void {
    this.#over = true;
    this.#dropConnection();
    this.#release();
    // The status line is gone: the only honest signal left is a cut connection.
    this.client.socket.destroy();
    this.#record(this.#status, err);
  }

  /** The connection failed or timed out before the response was complete. */
  #failed(err: Error): void {
    if (this.#over) return;
    if (this.#headWritten) return this.#midBodyFailure(err);
    const conn = this.#conn;
    this.#conn = null;
    if (conn !== null) {
      conn.user = null;
      conn.socket.destroy();
    }
    const u = this.#release();
    const connectFailed = conn === null || !conn.isConnected;
    const code = (err as { code?: string }).code;
    const stale = !connectFailed && this.#reused && !this.#gotByte && code !== HEADERS_TIMEOUT && code !== BODY_TIMEOUT;
    if (connectFailed) u.stats.connectErrors++;
    if (!stale) this.#ejectIfFailing(u, Date.now());
    const retryable =
      connectFailed || (!this.#gotByte && code !== HEADERS_TIMEOUT && this.req.body === Body.None && IDEMPOTENT.has(this.req.method));
    if (retryable && this.#attempts < this.ctx.attempts) {
      // A keep-alive connection the instance closed says nothing about the instance: it may serve again.
      if (!stale) (this.#tried ??= []).push(u);
      this.route.stats.retries++;
      this.#pending = null;
      return this.#next(err, stale);
    }
    this.#fail(err);
  }

  #ejectIfFailing(u: Upstream, now: number): void {
    if (recordFailure(u, this.route.upstreams, now, this.ctx.ejection)) {
      this.ctx.log.warn({ service: u.service, instance: u.id, untilMs: u.ejectedUntil - now }, 'instance ejected');
    }
  }

  #fail(err: Error): void {
    const code = (err as { code?: string }).code ?? 'error';
    const timeout = code === CONNECT_TIMEOUT || code === HEADERS_TIMEOUT || code === 'ETIMEDOUT';
    const what = timeout ? 'timed out waiting for' : 'could not get a response from';
    this.#reply(timeout ? 504 : 502, `${what} an instance of service "${this.route.service}" (${code}, ${this.#attempts} attempt(s))`, err);
  }

  #reply(status: number, message: string, err?: Error): void {
    this.#over = true;
    const close = !this.req.keepAlive || !this.#reqDone || this.client.halfClosed;
    this.client.socket.write(plainReply(status, message, close, this.req), 'latin1');
    this.#status = status;
    this.#record(status, err);
    this.client.finished(close);
  }

  #upgrade(buf: Buffer): void {
    this.#over = true;
    const conn = this.#conn!;
    this.#conn = null;
    const u = this.#u!;
    recordSuccess(u, Date.now());
    u.stats.connections++;
    const stats = this.route.stats;
    stats.connections++;
    stats.activeConnections++;
    // The instance's 101 reaches the client byte for byte (with any early frames after it).
    this.client.socket.write(buf);
    conn.wrote(this.client.socket);
    this.client.tunnel(conn, () => {
      this.#release();
      stats.activeConnections--;
      if (this.ctx.accessLog) {
        this.ctx.log.info({ service: this.route.service, instance: u.id, method: this.req.method, url: this.req.target, status: 101 }, 'upgrade closed');
      }
    });
  }

  #record(status: number, err?: Error): void {
    const seconds = (performance.now() - this.#started) / 1_000;
    const u = this.#u;
    const stats = this.route.stats;
    countStatus(stats.requests, status);
    if (u) countStatus(u.stats.requests, status);
    stats.latency.observe(seconds);
    if (!this.ctx.accessLog) return;
    this.ctx.log.info(
      {
        service: this.route.service,
        instance: u?.id,
        method: this.req.method,
        url: this.req.target,
        status,
        ms: Math.round(seconds * 10_000) / 10,
        attempts: this.#attempts,
        client: this.client.remote,
        err: err?.message,
      },
      'access',
    );
  }
}
