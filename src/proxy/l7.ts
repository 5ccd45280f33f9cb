/**
 * The L7 listener: one Map lookup on the lowercased Host (port and trailing dot stripped) picks the
 * route, then an Exchange forwards. Upgrade requests (WebSocket) go to upgrade.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Exchange, type ForwardContext } from './forward.js';
import { forwardRequestHeaders } from './headers.js';
import type { LiveTable, Route } from './table.js';
import { proxyUpgrade, rawReply } from './upgrade.js';

export interface L7Options {
  /** Reads the current table: called once per request, so a swap is seen by the next request. */
  table: () => LiveTable;
  ctx: ForwardContext;
  connectTimeoutMs: number;
  /** Counts requests whose Host matched no route. */
  onUnrouted: () => void;
}

/** `Web.Service.Cluster:8080` → `web.service.cluster`. */
export function hostKey(host: string): string {
  let end = host.length;
  const colon = host.lastIndexOf(':');
  if (colon !== -1 && host.indexOf(']') === -1) end = colon;
  if (end > 0 && host.charCodeAt(end - 1) === 46 /* . */) end--;
  return (end === host.length ? host : host.slice(0, end)).toLowerCase();
}

export function createL7Server(o: L7Options): Server {
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => onRequest(o, req, res));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const fwd = forwardRequestHeaders(req.rawHeaders, req.socket.remoteAddress ?? '', 'http', true);
    const route = lookup(o, fwd.host);
    if (route === undefined) return rawReply(socket, 404, notFound(fwd.host, o.table().spec.zone));
    proxyUpgrade({ ctx: o.ctx, route, req, socket, head, headers: fwd.headers, connectTimeoutMs: o.connectTimeoutMs });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
    rawReply(socket, 400, 'maestro proxy: malformed request\n');
  });
  return server;
}

function onRequest(o: L7Options, req: IncomingMessage, res: ServerResponse): void {
  const fwd = forwardRequestHeaders(req.rawHeaders, req.socket.remoteAddress ?? '', 'http');
  const route = lookup(o, fwd.host);
  if (route === undefined) {
    const body = notFound(fwd.host, o.table().spec.zone);
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  new Exchange(o.ctx, route, req, res, fwd).start();
}

function lookup(o: L7Options, host: string): Route | undefined {
  const route = host ? o.table().byHost.get(hostKey(host)) : undefined;
  if (route === undefined) o.onUnrouted();
  return route;
}

function notFound(host: string, zone: string): string {
  const shown = host ? `"${host}"` : '(no Host header)';
  return `maestro proxy: no service for host ${shown}; expected <service>.service.${zone}\n`;
}
