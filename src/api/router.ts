import type { IncomingMessage } from 'node:http';
import { ApiError } from './errors.js';
import type { BodyKind } from './guard.js';

export interface Request {
  method: string;
  url: URL;
  /** Decoded `:name` path parameters. */
  params: Record<string, string>;
  headers: IncomingMessage['headers'];
  /** What the body declared itself as (routes that read a body only; checked before reading it). */
  kind?: BodyKind;
  /** The body as text, read once, capped by the server's limit. */
  text(): Promise<string>;
  /** Aborted when the client goes (streaming routes end what they opened for it). */
  signal: AbortSignal;
  /** The client's address, for per-client limits (blocking queries). */
  client?: string;
}

export interface RouteOptions {
  /** The route reads a body of these kinds; any other Content-Type is refused with 415. */
  accepts?: readonly BodyKind[];
}

/**
 * A JSON body, raw text (e.g. /metrics) with its content type, or a stream (logs) written with
 * back-pressure and a stall deadline; its source must end when the request's `signal` aborts.
 */
export type Reply =
  | { status?: number; json: unknown; headers?: Record<string, string> }
  | { status?: number; text: string; contentType: string; headers?: Record<string, string> }
  | { status?: number; stream: AsyncIterable<string | Buffer>; contentType: string; stallMs?: number };

export type Handler = (req: Request) => Promise<Reply> | Reply;

interface Route {
  method: string;
  /** The pattern as written, used as the `route` label of the request metrics. */
  pattern: string;
  parts: string[];
  handler: Handler;
  accepts?: readonly BodyKind[];
}

export interface Match {
  route: string;
  handler: Handler;
  params: Record<string, string>;
  accepts?: readonly BodyKind[];
}

/**
 * A small exact-segment router: `/v1/jobs/:name/scale`. Routes are few and fixed, so a linear scan
 * is simpler than a tree and fast enough (a dozen comparisons per request).
 */
export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler, opts: RouteOptions = {}): this {
    this.routes.push({ method, pattern, parts: split(pattern), handler, accepts: opts.accepts });
    return this;
  }

  /** The matching route, or an ApiError: `not_found` for unknown paths, `method_not_allowed`. */
  match(method: string, path: string): Match {
    const parts = split(path);
    let allowed: string[] = [];
    for (const route of this.routes) {
      const params = matchParts(route.parts, parts);
      if (!params) continue;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) {
        return { route: route.pattern, handler: route.handler, params, accepts: route.accepts };
      }
      allowed = [...allowed, route.method];
    }
    if (allowed.length > 0) {
      throw new ApiError('method_not_allowed', `${method} is not allowed on ${path} (allowed: ${allowed.join(', ')})`);
    }
    throw new ApiError('not_found', `no such endpoint: ${path}`);
  }
}

function split(path: string): string[] {
  return path.split('/').filter((p) => p !== '');
}

function matchParts(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p.startsWith(':')) {
      let value: string;
      try {
        value = decodeURIComponent(parts[i]!);
      } catch {
        throw new ApiError('bad_request', `bad percent-encoding in "${parts[i]}"`);
      }
      params[p.slice(1)] = value;
    } else if (p !== parts[i]) {
      return undefined;
    }
  }
  return params;
}
