import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Catalog } from '../catalog/types.js';
import type { HostPort } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { authorizer, checkBindPolicy } from './auth.js';
import { catalogCluster, type Cluster } from './cluster.js';
import { ApiError, sendError, sendJson, toApiError } from './errors.js';
import { ApiMetrics, type MetricsSources } from './metrics.js';
import { Router, type Reply } from './router.js';
import { clusterRoutes } from './routes/cluster.js';
import { jobRoutes } from './routes/jobs.js';

export interface ApiOptions {
  catalog: Catalog;
  /** Port 0 picks a free port; `address()` tells which. */
  addr: HostPort;
  /** Required when `addr.host` is not a loopback address. */
  token?: string;
  logger: Logger;
  /** Components' `metrics()` functions, read at every scrape of /metrics. */
  metricsSources?: MetricsSources;
  /** Largest accepted request body (default 1 MiB: job specs are a few KB). */
  maxBodyBytes?: number;
  /** Register process metrics (cpu, memory, event loop) too (default true). */
  processMetrics?: boolean;
  /** Replaces the catalog-backed cluster seam (tests, other stores). */
  cluster?: Cluster;
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
  const cluster = opts.cluster ?? catalogCluster(opts.catalog);
  const metrics = new ApiMetrics(opts.metricsSources ?? {}, log, { processMetrics: opts.processMetrics });
  const authorize = authorizer(opts.token);
  const maxBody = opts.maxBodyBytes ?? 1 << 20;

  const router = new Router();
  jobRoutes(router, cluster);
  clusterRoutes(router, cluster);
  router.add('GET', '/metrics', async () => ({ ...(await metrics.scrape()) }));
  // Ready when the catalog answers: a load balancer then skips servers cut off from it.
  router.add('GET', '/healthz', async () => {
    await cluster.hosts();
    return { json: { status: 'ok', catalog: opts.catalog.kind } };
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = process.hrtime.bigint();
    const method = req.method ?? 'GET';
    let route = 'unmatched';
    let status: number;
    try {
      const url = new URL(req.url ?? '/', 'http://api');
      authorize(url.pathname, req.headers.authorization);
      const match = router.match(method, url.pathname);
      route = match.route;
      const reply = await match.handler({
        method,
        url,
        params: match.params,
        headers: req.headers,
        text: () => readBody(req, maxBody),
      });
      status = send(res, reply);
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

  const server = createServer((req, res) => void handle(req, res));
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
  log.info({ addr: `${bound.address}:${bound.port}`, auth: opts.token ? 'bearer' : 'none' }, 'API listening');

  return {
    address: () => ({ host: bound.address, port: bound.port }),
    async stop(graceMs = 5_000) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
    },
  };
}

function send(res: ServerResponse, reply: Reply): number {
  const status = reply.status ?? 200;
  if ('json' in reply) {
    sendJson(res, status, reply.json);
  } else {
    res.writeHead(status, { 'content-type': reply.contentType, 'content-length': Buffer.byteLength(reply.text) });
    res.end(reply.text);
  }
  return status;
}

function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= max) return void chunks.push(chunk);
      // Drain the rest unread so the 413 still reaches the client over this connection.
      req.off('data', onData);
      req.resume();
      reject(new ApiError('payload_too_large', `body larger than ${max} bytes`));
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
