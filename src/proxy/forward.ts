/**
 * One proxied HTTP exchange: an undici dispatch handler (the low-level `onConnect/onHeaders/onData`
 * interface, which undici calls without wrapping) that streams the instance's response to the
 * client with back-pressure both ways, retries on another instance when that is safe, feeds
 * ejection and counters, and writes the access log line.
 *
 * Retry rule: a request that never reached an instance (connect refused / timed out; undici calls
 * onError before onConnect and has not touched the body) is retried whatever its method; one that
 * was sent but got no response byte is retried only when idempotent and bodiless. Anything after a
 * response byte is never retried: the client already has a partial answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import { recordFailure, recordSuccess, type EjectionOptions } from './ejection.js';
import { forwardResponseHeaders, type ForwardedRequest } from './headers.js';
import type { Policy } from './policy.js';
import { countStatus } from './stats.js';
import type { Route } from './table.js';
import type { Upstream } from './upstream.js';

export interface ForwardContext {
  policy: Policy;
  ejection: EjectionOptions;
  /** Most instances one request is tried on. */
  attempts: number;
  log: Logger;
  /** Whether access lines are logged (false when the level would drop them: saves building them). */
  accessLog: boolean;
  /** Open L4 and upgrade sockets (both ends), so stop() can cut what outlives the listeners. */
  tunnels: Set<Duplex>;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

const EMPTY = Buffer.alloc(0);

/** The exchange serving a response, so one shared 'close' listener serves every request. */
const kExchange = Symbol('maestro.exchange');
type TaggedResponse = ServerResponse & { [kExchange]?: Exchange };

function onResponseClose(this: TaggedResponse): void {
  if (!this.writableFinished) this[kExchange]?.clientClosed();
}

export class Exchange implements Dispatcher.DispatchHandler {
  #upstream: Upstream | undefined;
  #tried: Upstream[] | null = null;
  #attempts = 0;
  #connected = false;
  #abort: ((err?: Error) => void) | undefined;
  #resume: (() => void) | undefined;
  #status = 0;
  #clientGone = false;
  /** The first body chunk, held back so a one-chunk body goes out with `end(chunk)`. */
  #held: Buffer | undefined;
  readonly #started = performance.now();

  constructor(
    private readonly ctx: ForwardContext,
    private readonly route: Route,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly fwd: ForwardedRequest,
  ) {}

  start(): void {
    (this.res as TaggedResponse)[kExchange] = this;
    this.res.on('close', onResponseClose);
    this.#next(undefined);
  }

  clientClosed(): void {
    this.#clientGone = true;
    this.#abort?.(new Error('client closed the connection'));
  }

  #next(lastError: Error | undefined): void {
    const u = this.ctx.policy(this.route.upstreams, this.route.state, Date.now(), this.#tried);
    if (u === undefined) {
      if (lastError) return this.#fail(lastError);
      return this.#reply(503, `no healthy instance of service "${this.route.service}"`);
    }
    this.#attempts++;
    this.#upstream = u;
    this.#connected = false;
    this.#abort = undefined;
    u.inFlight++;
    const { req, fwd } = this;
    u.pool.dispatch({ path: req.url ?? '/', method: req.method as Dispatcher.HttpMethod, headers: fwd.headers, body: fwd.hasBody ? req : null }, this);
  }

  onConnect(abort: (err?: Error) => void): void {
    this.#connected = true;
    this.#abort = abort;
    if (this.#clientGone) abort(new Error('client closed the connection'));
  }

  onHeaders(status: number, raw: Buffer[], resume: () => void, statusText: string): boolean {
    if (status < 200) return true; // interim answers stay on the upstream hop (Node sends its own 100)
    this.#status = status;
    this.#resume = resume;
    this.res.writeHead(status, statusText, forwardResponseHeaders(raw));
    return true;
  }

  onData(chunk: Buffer): boolean {
    const held = this.#held;
    if (held === undefined) {
      this.#held = chunk;
      return true;
    }
    this.#held = EMPTY;
    if (held !== EMPTY) this.res.write(held);
    const ok = this.res.write(chunk);
    if (!ok) this.res.once('drain', this.#resume!);
    return ok;
  }

  onComplete(): void {
    const held = this.#held;
    if (held === undefined || held === EMPTY) this.res.end();
    else this.res.end(held);
    const u = this.#upstream!;
    u.inFlight--;
    const now = Date.now();
    if (this.#status >= 500) this.#ejectIfFailing(u, now);
    else recordSuccess(u, now);
    this.#record(this.#status);
  }

  onError(err: Error): void {
    const u = this.#upstream!;
    u.inFlight--;
    if (this.#clientGone) return this.#record(499, err);
    if (this.res.headersSent) {
      this.#held = undefined;
      // Mid-body failure: the status line is gone, so the only honest signal is a cut connection.
      this.res.destroy(err);
      return this.#record(this.#status, err);
    }
    const code = (err as { code?: string }).code;
    if (!this.#connected) u.stats.connectErrors++;
    this.#ejectIfFailing(u, Date.now());
    const retryable =
      !this.#connected || (code !== 'UND_ERR_HEADERS_TIMEOUT' && !this.fwd.hasBody && IDEMPOTENT.has(this.req.method ?? ''));
    if (retryable && this.#attempts < this.ctx.attempts) {
      (this.#tried ??= []).push(u);
      this.route.stats.retries++;
      return this.#next(err);
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
    const timeout = code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT';
    const what = timeout ? 'timed out waiting for' : 'could not get a response from';
    this.#reply(timeout ? 504 : 502, `${what} an instance of service "${this.route.service}" (${code}, ${this.#attempts} attempt(s))`, err);
  }

  #reply(status: number, message: string, err?: Error): void {
    const body = `maestro proxy: ${message}\n`;
    if (!this.res.headersSent && !this.res.destroyed) {
      this.res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      this.res.end(body);
    }
    this.#status = status;
    this.#record(status, err);
  }

  #record(status: number, err?: Error): void {
    const seconds = (performance.now() - this.#started) / 1_000;
    const u = this.#upstream;
    countStatus(this.route.stats.requests, status);
    if (u) countStatus(u.stats.requests, status);
    this.route.stats.latency.observe(seconds);
    if (!this.ctx.accessLog) return;
    this.ctx.log.info(
      {
        service: this.route.service,
        instance: u?.id,
        method: this.req.method,
        url: this.req.url,
        status,
        ms: Math.round(seconds * 10_000) / 10,
        attempts: this.#attempts,
        client: this.req.socket.remoteAddress,
        err: err?.message,
      },
      'access',
    );
  }
}
