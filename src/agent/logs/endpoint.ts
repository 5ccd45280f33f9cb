/**
 * The agent's log endpoint: `GET /v1/logs/<alloc>?container=&follow=&tail=&since=&timestamps=`
 * over HTTP/1.1, answering NDJSON (ndjson.ts). Only servers holding this agent's token (record.ts)
 * get an answer — `Authorization: Bearer <token>`, checked before anything else, on every address
 * including loopback, so the endpoint is never open. Bounded: request heads within 5 s, at most
 * `maxStreams` open streams (more get 503), a client that stops reading is cut after `stallMs`
 * (pump.ts), and TCP keep-alive finds peers that vanished without a word.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Catalog } from '../../catalog/types.js';
import type { HostPort } from '../../config/index.js';
import type { Logger } from '../../log/index.js';
import { LOGS_STATUS, LogsError } from './errors.js';
import { pump } from './pump.js';
import type { LocalLogs } from './reader.js';
import { newToken, publishEndpoint, withdrawEndpoint } from './record.js';
import { parseLogQuery } from './request.js';
import { isVolumePath, volumeRequest } from '../volumes/endpoint-route.js';
import type { LocalVolumes } from '../volumes/local.js';

export interface LogEndpointOptions {
  catalog: Catalog;
  host: string;
  addr: HostPort;
  /** When `addr`'s port is taken, listen on a free port of the same address instead (with a warning). */
  portFallback?: boolean;
  /** The address servers are told to use (default: the bound one). */
  publishHost?: string;
  logs: LocalLogs;
  /** Removes this host's replica volumes on a server's request (`DELETE /v1/volumes/…`); absent: 503. */
  volumes?: LocalVolumes;
  logger: Logger;
  maxStreams?: number;
  stallMs?: number;
  /** Fixed token (tests); default: a fresh random one per start. */
  token?: string;
}

export interface LogEndpointMetrics {
  streamsOpen: number;
  streamsTotal: number;
  refusedUnauthorized: number;
  refusedBusy: number;
  stalled: number;
}

export interface LogEndpoint {
  address(): HostPort;
  metrics(): LogEndpointMetrics;
  stop(): Promise<void>;
}

export const DEFAULT_MAX_STREAMS = 32;
const ALLOC_ID = /^[a-z0-9][a-z0-9-]{0,199}$/;

export async function startLogEndpoint(opts: LogEndpointOptions): Promise<LogEndpoint> {
  const token = opts.token ?? newToken();
  const want = createHash('sha256').update(token).digest();
  const maxStreams = opts.maxStreams ?? 32;
  const m: LogEndpointMetrics = { streamsOpen: 0, streamsTotal: 0, refusedUnauthorized: 0, refusedBusy: 0, stalled: 0 };
  const log = opts.logger;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const auth = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
      if (!auth || !timingSafeEqual(want, createHash('sha256').update(auth[1]!).digest())) {
        m.refusedUnauthorized++;
        throw new LogsError('unauthorized', 'this is a Maestro agent\'s log endpoint: only Maestro servers holding its token may read it');
      }
      const url = new URL(req.url ?? '/', 'http://agent');
      // `maestro volumes rm` on this host (src/agent/volumes/), behind the same token.
      if (isVolumePath(url.pathname)) return void sendJson(res, 200, await volumeRequest(req.method, url.pathname, opts.volumes));
      const match = /^\/v1\/logs\/([^/]+)$/.exec(url.pathname);
      if (!match) throw new LogsError('not_found', `no such endpoint: ${url.pathname.slice(0, 100)}`);
      // Not even HEAD: node discards a HEAD response's writes, so nothing would push back on Docker.
      if (req.method !== 'GET') throw new LogsError('bad_request', `${req.method} is not allowed (GET only)`);
      const allocId = decodeURIComponent(match[1]!);
      if (!ALLOC_ID.test(allocId)) throw new LogsError('bad_request', `"${allocId.slice(0, 100)}" is not an allocation id`);
      const query = parseLogQuery(url.searchParams);
      if (!query.container) throw new LogsError('bad_request', 'container: required');
      if (m.streamsOpen >= maxStreams) {
        m.refusedBusy++;
        throw new LogsError('busy', `${maxStreams} log streams are open on this host already; retry later`);
      }
      m.streamsOpen++;
      m.streamsTotal++;
      try {
        const abort = new AbortController();
        res.once('close', () => abort.abort());
        const source = await opts.logs({ ...query, allocId, container: query.container }, abort.signal);
        res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' });
        res.flushHeaders();
        const how = await pump(res, source, { abort, stallMs: opts.stallMs, onError: (err) => log.warn({ err, allocId }, 'log stream failed') });
        if (how === 'stalled') {
          m.stalled++;
          log.info({ allocId }, 'log stream cut: its reader took nothing for the stall deadline');
        }
      } finally {
        m.streamsOpen--;
      }
    } catch (err) {
      const e = err instanceof LogsError ? err : new LogsError('unavailable', (err as Error).message);
      if (!(err instanceof LogsError)) log.warn({ err }, 'log request failed');
      if (res.headersSent) return void res.destroy();
      sendJson(res, LOGS_STATUS[e.code], { error: { code: e.code, message: e.message } });
    }
  };

  const server = createServer({ headersTimeout: 5_000, requestTimeout: 10_000 }, (req, res) => void handle(req, res));
  server.maxConnections = maxStreams * 4;
  server.on('connection', (socket: Socket) => socket.setKeepAlive(true, 15_000));
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
  });
  let bound: AddressInfo;
  try {
    bound = await listen(server, opts.addr);
  } catch (err) {
    if (!opts.portFallback || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    bound = await listen(server, { host: opts.addr.host, port: 0 });
    log.warn({ wanted: `${opts.addr.host}:${opts.addr.port}`, addr: `${bound.address}:${bound.port}` },
      `port ${opts.addr.port} is taken (another Maestro agent on this machine?): serving logs on port ${bound.port} instead; servers find it in the catalog. --agent-addr chooses`);
  }
  const publishHost = opts.publishHost ?? bound.address;
  const published = publishHost.includes(':') ? `[${publishHost}]:${bound.port}` : `${publishHost}:${bound.port}`;
  await publishEndpoint(opts.catalog, opts.host, { addr: published, token, startedAt: Date.now() });
  log.info({ addr: published }, 'log endpoint listening');

  return {
    address: () => ({ host: bound.address, port: bound.port }),
    metrics: () => ({ ...m }),
    async stop() {
      await withdrawEndpoint(opts.catalog, opts.host, token).catch((err) => log.debug({ err }, 'cannot withdraw the log endpoint record'));
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function listen(server: Server, addr: HostPort): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(addr.port, addr.host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
