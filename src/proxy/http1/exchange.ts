/**
 * One proxied request on raw sockets: picks an instance, sends the rewritten head with the first
 * body bytes (request-body.ts), reads the response head (response-head.ts), forwards the body in its own framing
 * (body-framing.ts) with back-pressure, then hands the connection back to the pool. The retry rule
 * is retry.ts, counters and the access line accounting.ts.
 *
 * Deadlines, all on the instance connection (one field, checked by the sweeper): connect, then
 * headers once the request is sent (interim 1xx answers do not extend it), then body idle, which
 * also bounds how long a client may leave written bytes unread while the instance waits.
 */
import { recordSuccess } from '../ejection.js';
import type { Route } from '../table.js';
import type { Upstream } from '../upstream.js';
import { ejectIfFailing, logUpgradeClosed, recordExchange } from './accounting.js';
import { BodyFraming } from './body-framing.js';
import type { ClientSide, EngineContext } from './context.js';
import * as E from './errors.js';
import { Body, type RequestHead, type ResponseHead } from './parse.js';
import type { ConnUser, UpConn } from './pool.js';
import { clientResponseHead, plainReply } from './reply.js';
import { RequestBody } from './request-body.js';
import { ResponseHeads } from './response-head.js';
import { isRetryable, isStale } from './retry.js';

export type { ClientSide, EngineContext } from './context.js';
export { HEADERS_TIMEOUT } from './errors.js';

export { MAX_INTERIM } from './response-head.js';

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
  #gotByte = false;
  readonly #out: RequestBody;
  #r = R.Head;
  #res: ResponseHead | undefined;
  readonly #heads = new ResponseHeads();
  #framing: BodyFraming | null = null;
  #dechunk = false;
  /** Payload spans `[start, end, …]` of one read, when de-chunking. */
  #spans: number[] | null = null;
  #closeClient = false;
  /** A byte of the final response went to the client: a failure now can only cut the connection. */
  #clientGotBytes = false;
  #over = false;
  #status = 0;
  readonly #started = performance.now();
  /** Epoch ms when the current attempt picked its instance (one clock read serves the whole exchange). */
  #now = 0;

  constructor(
    private readonly ctx: EngineContext,
    private readonly route: Route,
    private readonly client: ClientSide,
    private readonly req: RequestHead,
  ) {
    this.#out = new RequestBody(ctx, client, req);
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
    this.#gotByte = false;
    this.#out.unsent();
    u.http1.acquire(this, fresh);
  }

  attach(conn: UpConn, reused: boolean): void {
    this.#conn = conn;
    this.#reused = reused;
    if (reused) this.#out.send(conn);
  }

  connected(): void {
    this.#out.send(this.#conn!);
  }

  queueTimedOut(): void {
    if (this.#over) return;
    this.#release();
    const ms = this.ctx.sweeper.now - this.#now;
    this.#reply(503, `no connection to an instance of service "${this.route.service}" freed up within ${ms} ms (${E.QUEUE_TIMEOUT})`);
  }

  bodyChunk(chunk: Buffer): void {
    if (!this.#over) this.#out.chunk(chunk, this.#conn, this.#r === R.Head);
  }

  bodyEnd(): void {
    this.#out.end();
    if (!this.#over && this.#r === R.Head) this.#out.awaitAnswer(this.#conn);
  }

  data(chunk: Buffer): void {
    this.#gotByte = true;
    if (this.#r === R.Body) this.#body(chunk, 0, null);
    else this.#onHead(chunk);
  }

  #onHead(chunk: Buffer): void {
    let res: ResponseHead | null;
    try {
      res = this.#heads.read(chunk, this.req.method, this.#interim);
    } catch (err) {
      return this.#failed(err as Error);
    }
    if (res === null) return;
    if (res.status !== 101) return this.#final(res, this.#heads.buf, this.#heads.start);
    if (this.req.upgrade) return this.#upgrade(this.#heads.buf);
    this.#failed(E.codedError(E.INVALID_RESPONSE, '101 without an upgrade request'));
  }

  /** Interim answers (100 Continue, 103 Early Hints) go to HTTP/1.1 clients as they come; the headers deadline keeps running. */
  #interim = (res: ResponseHead): void => {
    if (!this.req.http10) this.client.socket.write(clientResponseHead(res, false, ''), 'latin1');
  };

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
    this.#r = R.Body;
    this.#framing = BodyFraming.for(res.body, res.length);
    this.#conn!.deadline = this.ctx.sweeper.now + this.ctx.idleTimeoutMs;
    this.#body(buf, start, head, asIs ? 0 : start);
  }

  /**
   * Forwards `buf[start…]` up to the end of the body; `head` (not yet written) goes in the same
   * write, or the received head `buf[from, start)` does. The framing is checked before anything is
   * written, so a broken first read still gets a clean 502.
   */
  #body(buf: Buffer, start: number, head: string | null, from = start): void {
    let at: number;
    const spans = this.#dechunk ? (this.#spans ??= []) : null;
    try {
      at = spans === null ? this.#framing!.feed(buf, start, buf.length) : this.#framing!.feed(buf, start, buf.length, this.#span);
    } catch (err) {
      if (spans !== null) spans.length = 0;
      return this.#failed(E.codedError(E.INVALID_RESPONSE, (err as Error).message));
    }
    const end = at === -1 ? buf.length : at;
    const socket = this.client.socket;
    let ok = true;
    if (spans !== null) {
      if (head !== null) ok = socket.write(head, 'latin1');
      for (let i = 0; i < spans.length; i += 2) ok = socket.write(buf.subarray(spans[i], spans[i + 1]));
      spans.length = 0;
      this.#conn!.wrote(socket);
    } else if (head !== null) {
      const n = head.length; // latin1: one byte per character
      const out = Buffer.allocUnsafe(n + end - start);
      out.write(head, 0, 'latin1');
      buf.copy(out, n, start, end);
      ok = socket.write(out);
    } else if (end > from) {
      ok = socket.write(from === 0 && end === buf.length ? buf : buf.subarray(from, end));
      this.#conn!.wrote(socket);
    }
    this.#clientGotBytes = true;
    if (at !== -1) return this.#ended(at < buf.length);
    const conn = this.#conn!;
    conn.deadline = this.ctx.sweeper.now + this.ctx.idleTimeoutMs;
    if (!ok) {
      // Back-pressure: stop reading the instance until the client took what it has. The body
      // idle deadline keeps running: a client that never reads does not hold the instance.
      conn.socket.pause();
      socket.once('drain', () => {
        if (this.#conn !== conn) return;
        conn.deadline = this.ctx.sweeper.now + this.ctx.idleTimeoutMs;
        conn.socket.resume();
      });
    }
  }

  #span = (_buf: Buffer, start: number, end: number): void => {
    this.#spans!.push(start, end);
  };

  /** The response body is complete; `extra`: the instance sent bytes past it (out of sync). */
  #ended(extra: boolean): void {
    this.#r = R.Done;
    // Answered before the request body was all in (an early 4xx…): neither connection can be reused.
    if (!this.#out.done) this.#closeClient = true;
    this.#complete(!extra && this.#out.done);
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
    if (this.#status >= 500) ejectIfFailing(this.ctx, this.route, u, Date.now());
    else recordSuccess(u, this.#now); // only compared with an ejection's end: the attempt's start is close enough
    this.#record(this.#status);
    this.client.finished(this.#closeClient);
  }

  ended(): void {
    if (this.#r === R.Body && this.#res!.body === Body.UntilClose) return this.#ended(false);
    this.#failed(E.codedError(E.SOCKET, 'other side closed'));
  }

  closed(err: Error | undefined): void {
    this.#failed(err ?? E.codedError(E.SOCKET, 'other side closed'));
  }

  timedOut(): void {
    const conn = this.#conn;
    if (conn === null) return;
    if (!conn.isConnected) return this.#failed(E.codedError(E.CONNECT_TIMEOUT, 'connect timeout'));
    if (this.#r === R.Head && this.#out.done) return this.#failed(E.codedError(E.HEADERS_TIMEOUT, 'headers timeout'));
    this.#failed(E.codedError(E.BODY_TIMEOUT, 'body timeout'));
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

  /** The connection failed or timed out before the response was complete. */
  #failed(err: Error): void {
    if (this.#over) return;
    if (this.#clientGotBytes) {
      this.#over = true;
      this.#dropConnection();
      this.#release();
      // The status line is gone: the only honest signal left is a cut connection.
      this.client.socket.destroy();
      return this.#record(this.#status, err);
    }
    const conn = this.#conn;
    this.#dropConnection();
    const u = this.#release();
    const code = E.codeOf(err);
    const attempt = { connectFailed: conn === null || !conn.isConnected, sent: this.#out.sent, reused: this.#reused, gotByte: this.#gotByte, code };
    const stale = isStale(attempt);
    if (attempt.connectFailed) u.stats.connectErrors++;
    if (!stale) ejectIfFailing(this.ctx, this.route, u, Date.now());
    if (this.#r === R.Head && isRetryable(attempt, this.req) && this.#attempts < this.ctx.attempts) {
      // A keep-alive connection the instance closed says nothing about the instance: it may serve again.
      if (!stale) (this.#tried ??= []).push(u);
      this.route.stats.retries++;
      this.#heads.reset();
      return this.#next(err, stale);
    }
    this.#fail(err);
  }

  #fail(err: Error): void {
    const code = E.codeOf(err);
    const status = E.failureStatus(code);
    const what = status === 504 ? 'timed out waiting for' : 'could not get a response from';
    this.#reply(status, `${what} an instance of service "${this.route.service}" (${code}, ${this.#attempts} attempt(s))`, err);
  }

  #reply(status: number, message: string, err?: Error): void {
    this.#over = true;
    // A request body still coming leaves the client connection out of step: it closes.
    const close = !this.req.keepAlive || !this.#out.done || this.client.halfClosed;
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
      logUpgradeClosed(this.ctx, this.route, u, this.req);
    });
  }

  #record(status: number, err?: Error): void {
    recordExchange(this.ctx, this.route, this.#u, this.req, status, this.#started, this.#attempts, this.client.remote, err);
  }
}
