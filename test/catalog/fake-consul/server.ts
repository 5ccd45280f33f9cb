import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { agentRoutes } from './agent.js';
import { kvRoutes } from './kv.js';
import { readRoutes } from './reads.js';
import { sessionRoutes } from './session.js';
import { ConsulError, Violation, parseGoDuration, uint } from './shape.js';
import { FakeState } from './state.js';
import { txnRoutes } from './txn.js';

/**
 * A fake Consul agent over real HTTP (127.0.0.1, port 0) for the adapter's boundary tests and the
 * catalog contract. It answers the endpoints Maestro uses the way Consul documents them
 * (https://developer.hashicorp.com/consul/api-docs) and checks every request against that
 * documentation: a request Consul would not understand is recorded in `violations` and answered 400.
 */

export interface FakeRequest {
  method: string;
  /** Decoded path below `/v1`, e.g. `/kv/maestro/hosts/a` (Go's net/http decodes %2F the same way). */
  path: string;
  query: URLSearchParams;
  body: Buffer;
  headers: IncomingHttpHeaders;
}

export interface Answer {
  status?: number;
  /** JSON body; `undefined` sends an empty body (Consul's agent writes answer nothing). */
  json?: unknown;
  /** X-Consul-Index, sent on every read Consul documents as blocking. */
  index?: number;
}

/** A read: either answered at once or, with `?index=`, held until its index passes (blocking query). */
export interface Read {
  read: () => Answer & { index: number };
}

export type Route = {
  method: string;
  pattern: RegExp;
  handle: (req: FakeRequest, m: RegExpMatchArray, state: FakeState) => Answer | Read;
};

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  headers: IncomingHttpHeaders;
}

export interface FakeConsulOptions {
  /** TTLs (checks, sessions, lock delays) run this much faster than real time. */
  timeScale?: number;
  /**
   * TTL checks only, when they must keep real time: the adapter re-asserts health on a real-time
   * period, so a scaled-down check TTL would flap between refreshes (end-to-end tests use 1).
   */
  checkTimeScale?: number;
  /** When set, every request must carry it as X-Consul-Token (403 otherwise, like an ACL deny). */
  token?: string;
}

export class FakeConsul {
  readonly requests: RecordedRequest[] = [];
  readonly violations: string[] = [];
  readonly state: FakeState;
  private readonly server: Server;
  private readonly routes: Route[] = [...agentRoutes, ...readRoutes, ...kvRoutes, ...sessionRoutes, ...txnRoutes];

  private constructor(private readonly opts: FakeConsulOptions) {
    this.state = new FakeState(opts.timeScale ?? 1, opts.checkTimeScale ?? opts.timeScale ?? 1);
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://fake');
        const fr: FakeRequest = {
          method: req.method ?? 'GET',
          path: decodeURIComponent(url.pathname.replace(/^\/v1/, '')),
          query: url.searchParams,
          body: Buffer.concat(chunks),
          headers: req.headers,
        };
        this.record(fr);
        this.dispatch(fr, res);
      });
    });
  }

  static async start(opts: FakeConsulOptions = {}): Promise<FakeConsul> {
    const fake = new FakeConsul(opts);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The recorded requests matching method and path prefix (below /v1). */
  calls(method: string, pathPrefix: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path.startsWith(pathPrefix));
  }

  /**
   * Simulates a snapshot restore (or a new leader with an older state): every index drops to `index`
   * and pending blocking reads return at once, with indexes lower than the ones they waited on.
   */
  restoreTo(index: number): void {
    this.state.index = index;
    for (const t of Object.keys(this.state.tables) as (keyof FakeState['tables'])[]) this.state.tables[t] = Math.min(this.state.tables[t], index);
    for (const e of this.state.kv.values()) e.ModifyIndex = Math.min(e.ModifyIndex, index);
    this.state.changes.emit('abandon');
  }

  async close(): Promise<void> {
    this.state.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private record(req: FakeRequest): void {
    let body: unknown = undefined;
    if (req.body.length) {
      const text = req.body.toString('utf8');
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    this.requests.push({ method: req.method, path: req.path, query: Object.fromEntries(req.query), body, headers: req.headers });
  }

  private dispatch(req: FakeRequest, res: ServerResponse): void {
    try {
      if (this.opts.token !== undefined && req.headers['x-consul-token'] !== this.opts.token) {
        throw new ConsulError(403, 'Permission denied: token with AccessorID \'anonymous\' lacks permission');
      }
      if (req.query.has('token')) throw new Violation('the token belongs in the X-Consul-Token header, not ?token=');
      const candidates = this.routes.filter((r) => r.pattern.test(req.path));
      if (!candidates.length) throw new Violation(`no such endpoint: ${req.method} /v1${req.path}`);
      const route = candidates.find((r) => r.method === req.method);
      if (!route) throw new Violation(`method ${req.method} not allowed on /v1${req.path}`);
      const out = route.handle(req, req.path.match(route.pattern)!, this.state);
      if ('read' in out) this.block(req, res, out);
      else send(res, out);
    } catch (err) {
      if (err instanceof Violation) {
        this.violations.push(`${req.method} /v1${req.path}: ${err.message}`);
        return sendText(res, 400, err.message);
      }
      if (err instanceof ConsulError) return sendText(res, err.status, err.message);
      sendText(res, 500, String(err));
    }
  }

  /**
   * https://developer.hashicorp.com/consul/api-docs/features/blocking: with `?index=N` the answer waits
   * until the resource's index exceeds N or `wait` (default 5 min, at most 10 min) passes; then the
   * current state is sent with its index either way.
   */
  private block(req: FakeRequest, res: ServerResponse, r: Read): void {
    const want = uint(req.query, 'index');
    const waitRaw = req.query.get('wait');
    const waitMs = waitRaw === null ? 300_000 : parseGoDuration(waitRaw);
    if (waitMs === undefined) throw new Violation(`wait=${waitRaw} is not a Go duration (e.g. 10s, 5m)`);
    const first = r.read();
    if (!want || first.index > want) return send(res, first);
    const changes = this.state.changes;
    const finish = () => {
      clearTimeout(timer);
      changes.off('change', onChange);
      changes.off('abandon', finish);
      res.off('close', finish);
      if (!res.destroyed && !res.writableEnded) send(res, r.read());
    };
    const onChange = () => {
      if (r.read().index > want) finish();
    };
    const timer = setTimeout(finish, Math.min(waitMs, 600_000));
    changes.on('change', onChange);
    changes.on('abandon', finish);
    res.on('close', finish);
  }
}

function send(res: ServerResponse, a: Answer): void {
  const headers: Record<string, string> = {};
  if (a.index !== undefined) {
    headers['X-Consul-Index'] = String(a.index);
    headers['X-Consul-KnownLeader'] = 'true';
    headers['X-Consul-LastContact'] = '0';
  }
  if (a.json === undefined) {
    res.writeHead(a.status ?? 200, headers).end();
    return;
  }
  res.writeHead(a.status ?? 200, { ...headers, 'Content-Type': 'application/json' }).end(JSON.stringify(a.json));
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(text);
}
