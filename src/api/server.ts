import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Catalog } from '../catalog/types.js';
import type { HostPort } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { authorizer, checkBindPolicy } from './auth.js';
import { catalogCluster } from './cluster.js';
import { Blocker, DEFAULT_LIMITS, type BlockingLimits } from './blocking.js';
import { createStateView, type IndexedStateView } from '../view/index.js';
import { SPEC_LIMITS } from '../scheduler/spec/index.js';
import { sendError, toApiError } from './errors.js';
import { bodyKind, checkLoopbackHost, checkOrigin } from './guard.js';
import { ApiMetrics, type MetricsSources } from './metrics.js';
import { Router } from './router.js';
import { clusterRoutes } from './routes/cluster.js';
import { jobRoutes } from './routes/jobs.js';
import { allocationRoutes } from './routes/allocations.js';
import { lifecycleRoutes } from './routes/lifecycle.js';
import { logRoutes, type LogRouteOptions } from './routes/logs.js';
import { volumeRoutes, type VolumeRouteOptions } from './routes/volumes.js';
import { mapAnswer, mapRoutes } from './routes/map.js';
import { mapHtml } from '../ui/map-html.js';
import { readBody, send, sendStream } from './respond.js';
import { SpecParser } from './spec-parser.js';
import { uiMount, type UiSettings } from './ui.js';

export interface ApiOptions {
  catalog: Catalog;
  /** Port 0 picks a free port; `address()` tells which. */
  addr: HostPort;
  /** Required when `addr.host` is not a loopback address. */
  token?: string;
  logger: Logger;
  /** Components' `metrics()` functions, read at every scrape of /metrics. */
  metricsSources?: MetricsSources;
  /** Largest accepted request body (default 64 KiB, the job spec limit: specs are a few KB). */
  maxBodyBytes?: number;
  /** Deadline of one job spec parse on the parser thread (default 5 s). */
  specParseTimeoutMs?: number;
  /** Register process metrics (cpu, memory, event loop) too (default true). */
  processMetrics?: boolean;
  /**
   * The process's one state view (src/view/), which every read is answered from; absent, the API
   * builds its own over `catalog` (and closes it on stop).
   */
  view?: IndexedStateView;
  /** Caps on blocking queries held at once (blocking.ts; defaults 64 per client, 4,096 in total). */
  blocking?: Partial<BlockingLimits>;
  /** Where replicas' logs come from (routes/logs.ts); absent: the log route answers 503. */
  logs?: LogRouteOptions;
  /** How replica volumes are removed (routes/volumes.ts); absent: DELETE /v1/volumes/… answers 503. */
  volumes?: Omit<VolumeRouteOptions, 'catalog'>;
  /** What the web UI at /ui/ shows of DNS (ui.ts); default zone `cluster`. */
  ui?: UiSettings;
}

export interface ApiServer {
  address(): HostPort;
  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), then closes. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts the HTTP API; rejects (code `usage`) when bound off loopback without a token. */
export async function startApi(opts: ApiOptions): Promise<ApiServer> {
  checkBindPolicy(opts.addr.host, opts.token);
  const log = opts.logger;
  const view = opts.view ?? createStateView(opts.catalog, { logger: log });
  const cluster = catalogCluster(opts.catalog, view);
  const blocker = new Blocker(view, { ...DEFAULT_LIMITS, ...opts.blocking });
  const specs = new SpecParser({ logger: log, timeoutMs: opts.specParseTimeoutMs });
  const sources: MetricsSources = {
    ...opts.metricsSources,
    api: () => ({ specParserRestartsTotal: specs.restarts, viewIndex: view.index, viewResetsTotal: view.resets, blockingQueriesHeld: blocker.held }),
  };
  const metrics = new ApiMetrics(sources, log, { processMetrics: opts.processMetrics });
  const authorize = authorizer(opts.token);
  const maxBody = opts.maxBodyBytes ?? SPEC_LIMITS.maxBytes;
  // Set once listening: a token-less API answers only to Host values naming this port.
  let port = 0;

  const router = new Router();
  jobRoutes(router, cluster, specs, blocker);
  allocationRoutes(router, cluster, blocker);
  clusterRoutes(router, cluster, blocker);
  lifecycleRoutes(router, cluster);
  logRoutes(router, cluster, opts.logs);
  volumeRoutes(router, cluster, blocker, { catalog: opts.catalog, ...opts.volumes });
  mapRoutes(router, cluster, blocker); // the web UI's map (routes/map.ts)
  router.add('GET', '/metrics', async () => ({ ...(await metrics.scrape()) }));
  // Ready when the catalog answers: a load balancer then skips servers cut off from it.
  router.add('GET', '/healthz', async () => {
    await opts.catalog.listHosts();
    return { json: { status: 'ok', catalog: opts.catalog.kind } };
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = process.hrtime.bigint();
    const method = req.method ?? 'GET';
    let route = 'unmatched';
    let status: number;
    const abort = new AbortController();
    // Only a client that went before its answer was sent aborts: aborting builds a DOMException (a
    // stack capture), which on every request was a measurable share of a listing's CPU.
    res.once('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    try {
      const url = new URL(req.url ?? '/', 'http://api');
      // Web pages first (guard.ts): a refused page learns nothing, not even whether a token would do.
      if (!opts.token) checkLoopbackHost(req.headers.host, port);
      checkOrigin(req.headers.origin, req.headers.host);
      authorize(url.pathname, req.headers.authorization);
      const match = router.match(method, url.pathname);
      route = match.route;
      const kind = match.accepts ? bodyKind(req.headers['content-type'], match.accepts) : undefined;
      const reply = await match.handler({
        method,
        url,
        params: match.params,
        headers: req.headers,
        kind,
        text: () => readBody(req, maxBody),
        signal: abort.signal,
        client: req.socket.remoteAddress,
      });
      status = 'stream' in reply ? await sendStream(res, reply, abort, method === 'HEAD') : send(res, reply);
    } catch (err) {
      const apiErr = toApiError(err);
      if (apiErr.code === 'internal') log.error({ err, method, url: req.url }, 'API request failed');
      if (res.headersSent) {
        res.destroy();
      } else {
        sendError(res, apiErr);
      }
      status = apiErr.status;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    metrics.observe(method, route, status, seconds);
    log.debug({ method, url: req.url, status, ms: Math.round(seconds * 1000) }, 'request');
  };

  // Deadlines for what a client sends: the whole request (a 64 KiB body at a trickle) and its head.
  const ui = uiMount({
    token: opts.token,
    port: () => port,
    authorize,
    settings: opts.ui ?? { zone: 'cluster' },
    // The map as HTML from the view's first index on (before it, the view has not loaded).
    mapHtml: () => {
      if (view.index === 0) return undefined;
      const { hosts, replicas } = mapAnswer(cluster);
      return mapHtml(hosts, replicas, view.index);
    },
  });
  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => void (ui(req, res) || handle(req, res)));
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.addr.port, opts.addr.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  port = bound.port;
  log.info({ addr: `${bound.address}:${bound.port}`, auth: opts.token ? 'bearer' : 'none' }, 'API listening');

  return {
    address: () => ({ host: bound.address, port: bound.port }),
    async stop(graceMs = 5_000) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
      await specs.stop();
      if (!opts.view) await view.close();
    },
  };
}
