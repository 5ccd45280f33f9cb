/**
 * Upgrade (WebSocket) pass-through as a raw socket pipe: connect to an instance (the next one when a
 * connect fails), replay the request head with the Connection/Upgrade pair intact, then splice the
 * two sockets. The instance's 101 (or refusal) reaches the client byte for byte, so any upgrade
 * protocol works, not only WebSocket.
 */
import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { recordFailure, recordSuccess } from './ejection.js';
import type { ForwardContext } from './forward.js';
import { requestHead } from './headers.js';
import { track } from './l4.js';
import type { Route } from './table.js';
import type { Upstream } from './upstream.js';

export interface UpgradeOptions {
  ctx: ForwardContext;
  route: Route;
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  headers: string[];
  connectTimeoutMs: number;
}

export function proxyUpgrade(o: UpgradeOptions): void {
  const { ctx, route, socket } = o;
  const tried: Upstream[] = [];
  let clientGone = false;
  socket.on('error', () => socket.destroy());
  socket.once('close', () => (clientGone = true));

  const attempt = (): void => {
    const u = ctx.policy(route.upstreams, route.state, Date.now(), tried.length ? tried : null);
    if (u === undefined || tried.length >= ctx.attempts) {
      const status = tried.length ? 502 : 503;
      rawReply(socket, status, `maestro proxy: no instance of service "${route.service}" accepted the upgrade\n`);
      return;
    }
    tried.push(u);
    const up = connect({ host: u.address, port: u.port, noDelay: true });
    up.setTimeout(o.connectTimeoutMs, () => up.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })));
    up.once('error', (err) => {
      u.stats.connectErrors++;
      recordFailure(u, route.upstreams, Date.now(), ctx.ejection);
      if (tried.length > 1 || ctx.attempts > 1) route.stats.retries++;
      ctx.log.debug({ service: route.service, instance: u.id, err: err.message }, 'upgrade connect failed');
      if (!clientGone) attempt();
    });
    up.once('connect', () => {
      up.removeAllListeners('error');
      up.setTimeout(0);
      if (clientGone) return up.destroy();
      recordSuccess(u, Date.now());
      splice(o, u, up);
    });
  };
  attempt();
}

function splice(o: UpgradeOptions, u: Upstream, up: Socket): void {
  const { socket, route, ctx, req } = o;
  u.inFlight++;
  u.stats.connections++;
  route.stats.connections++;
  route.stats.activeConnections++;
  up.write(requestHead(req.method ?? 'GET', req.url ?? '/', o.headers));
  if (o.head.length) up.write(o.head);
  socket.pipe(up);
  up.pipe(socket);
  const done = (err?: Error) => {
    socket.destroy();
    up.destroy();
    if (err) ctx.log.debug({ service: route.service, instance: u.id, err: err.message }, 'upgrade stream error');
  };
  up.on('error', done);
  socket.on('error', done);
  let closed = 0;
  const onClose = () => {
    if (++closed < 2) return done();
    u.inFlight--;
    route.stats.activeConnections--;
    if (ctx.accessLog) ctx.log.info({ service: route.service, instance: u.id, method: req.method, url: req.url, status: 101 }, 'upgrade closed');
  };
  up.once('close', onClose);
  socket.once('close', onClose);
  track(ctx.tunnels, socket, up);
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 502: 'Bad Gateway', 503: 'Service Unavailable' };

/** A complete HTTP/1.1 answer on a raw socket (upgrade and parse-error paths have no response object). */
export function rawReply(socket: Duplex, status: number, body: string): void {
  const reason = REASONS[status] ?? 'Error';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
