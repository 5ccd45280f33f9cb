import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import Consul from 'consul';
import { CatalogError } from '../types.js';

/**
 * The one module that touches the `consul` npm package (third-party clients are wrapped in one
 * place). It turns the package's promise + EventEmitter-context style into `AbortSignal`s, reads
 * `X-Consul-Index` off every response and maps every failure onto a `CatalogError` code, so nothing
 * above this file sees a papi error, a socket error or an unhandled rejection.
 */

type Call = (opts: Record<string, unknown>) => Promise<unknown>;

/**
 * The subset of the package's client we use. Typed loosely on purpose: the package's `.d.ts` omits
 * the per-request options it does honour (`ctx`, `timeout`, `index`, `wait`), see its lib/utils.js.
 */
export interface ConsulApi {
  agent: { service: { register: Call; deregister: Call }; check: { pass: Call; warn: Call; fail: Call } };
  catalog: { service: { list: Call } };
  health: { service: Call; state: Call };
  kv: { get: Call; set: Call; del: Call };
  session: { create: Call; renew: Call; destroy: Call };
  transaction: { create: (operations: unknown[], opts: Record<string, unknown>) => Promise<unknown> };
  destroy(): void;
}

/** What a call gives back: the decoded body and the response's `X-Consul-Index` (0 when absent). */
export interface Reply<T> {
  body: T;
  index: number;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Absolute request timeout; blocking reads pass their wait plus Consul's jitter and slack. */
  timeoutMs?: number;
}

/** The package's per-request options we pass through: `ctx` carries cancellation and response access. */
export interface RequestContext {
  ctx: EventEmitter;
  timeout: number;
}

type PapiError = Error & {
  isResponse?: boolean;
  isTimeout?: boolean;
  isValidation?: boolean;
  statusCode?: number;
  code?: string;
  response?: { statusCode?: number; body?: unknown };
};

const DEFAULT_TIMEOUT_MS = 10_000;

export class ConsulHttp {
  readonly api: ConsulApi;
  private readonly inflight = new Set<EventEmitter>();
  private closed = false;

  constructor(url: string, token?: string) {
    // CONSUL_HTTP_ADDR is often given without a scheme (`127.0.0.1:8500`), as the consul CLI accepts.
    const u = new URL(/^[a-z]+:\/\//i.test(url) ? url : `http://${url}`);
    const secure = u.protocol === 'https:';
    this.api = new Consul({
      host: u.hostname,
      port: u.port ? Number(u.port) : secure ? 443 : 80,
      secure,
      ...(token ? { defaults: { token } } : {}),
    }) as unknown as ConsulApi;
  }

  /**
   * Runs one package call. `fn` receives the request context to spread into the package's options;
   * with `includeResponse` set the package resolves `[response, body]`, which is how we get headers.
   */
  async call<T>(op: string, fn: (rc: RequestContext) => Promise<unknown>, opts: CallOptions = {}): Promise<Reply<T>> {
    if (this.closed) throw new CatalogError('closed', 'catalog closed');
    const { signal } = opts;
    signal?.throwIfAborted();
    const ctx = Object.assign(new EventEmitter(), { includeResponse: true });
    const cancel = () => ctx.emit('cancel');
    signal?.addEventListener('abort', cancel, { once: true });
    this.inflight.add(ctx);
    try {
      const out = (await fn({ ctx, timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS })) as [IncomingMessage, T?];
      return { body: out[1] as T, index: consulIndex(out[0]) };
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      if (this.closed) throw new CatalogError('closed', 'catalog closed');
      throw toCatalogError(op, err);
    } finally {
      signal?.removeEventListener('abort', cancel);
      this.inflight.delete(ctx);
    }
  }

  /** Aborts every request in flight (pending blocking reads reject with `closed`) and frees sockets. */
  close(): void {
    this.closed = true;
    for (const ctx of this.inflight) ctx.emit('cancel');
    this.api.destroy();
  }
}

function consulIndex(res: IncomingMessage | undefined): number {
  const raw = res?.headers?.['x-consul-index'];
  const n = Number(Array.isArray(raw) ? raw[0] : raw);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/**
 * Consul answers errors as `text/plain` bodies with a status: 400 for malformed requests, 403 for
 * ACLs, 404 for unknown IDs, 500 for RPC failures (no leader, invalid session, ...). Anything that is
 * not an HTTP answer (refused, reset, timed out) means the agent is unreachable.
 */
export function toCatalogError(op: string, err: unknown): CatalogError {
  const e = err as PapiError;
  if (e?.isValidation) return new CatalogError('bad_request', `consul ${op}: ${e.message}`, { cause: { status: 0 } });
  const status = e?.response?.statusCode ?? (e?.isResponse ? e.statusCode : undefined);
  if (status === undefined) {
    const why = e?.isTimeout ? 'timed out' : (e?.code ?? e?.message ?? String(err));
    return new CatalogError('unavailable', `consul ${op}: agent unreachable (${why})`, { cause: { status: 0, err } });
  }
  const text = bodyText(e.response?.body) || e.message;
  const cause = { status, text };
  if (/invalid session|session .* not found/i.test(text)) {
    return new CatalogError('session_invalid', `consul ${op}: ${text}`, { cause });
  }
  if (status === 404) return new CatalogError('not_found', `consul ${op}: ${text}`, { cause });
  if (status === 400 || status === 403 || status === 413) {
    return new CatalogError('bad_request', `consul ${op}: ${status} ${text}`, { cause });
  }
  return new CatalogError('unavailable', `consul ${op}: ${status} ${text}`, { cause });
}

function bodyText(body: unknown): string {
  if (body === undefined || body === null) return '';
  if (Buffer.isBuffer(body)) return body.toString('utf8').trim();
  return (typeof body === 'string' ? body : JSON.stringify(body)).trim();
}
