/**
 * The L7 listener: the HTTP/1 engine (http1/) with Host routing. One Map lookup on the lowercased
 * Host (port and trailing dot stripped) picks the route; the engine forwards, upgrades included.
 */
import type { EngineContext } from './http1/context.js';
import { Http1Server } from './http1/server.js';
import type { LiveTable, Route } from './table.js';

export interface L7Options {
  /** Reads the current table: called once per request, so a swap is seen by the next request. */
  table: () => LiveTable;
  ctx: EngineContext;
  /** Counts requests whose Host matched no route. */
  onUnrouted: () => void;
  /** From a request head's first byte to its end, else 408; default 10 s. */
  headTimeoutMs?: number;
  /** Client connections at once; default 10,000. */
  maxConnections?: number;
}

/** Idle client connections are closed after this (Node's http server used 65 s too). */
const CLIENT_KEEP_ALIVE_MS = 65_000;
/** A head must arrive within this (HAProxy's `timeout http-request`, commonly set to 10 s). */
export const HEAD_TIMEOUT_MS = 10_000;
export const MAX_CLIENT_CONNECTIONS = 10_000;

/** `Web.Service.Cluster:8080` → `web.service.cluster`. */
export function hostKey(host: string): string {
  let end = host.length;
  const colon = host.lastIndexOf(':');
  if (colon !== -1 && host.indexOf(']') === -1) end = colon;
  if (end > 0 && host.charCodeAt(end - 1) === 46 /* . */) end--;
  return (end === host.length ? host : host.slice(0, end)).toLowerCase();
}

export function createL7Server(o: L7Options): Http1Server {
  return new Http1Server({
    ctx: o.ctx,
    keepAliveMs: CLIENT_KEEP_ALIVE_MS,
    headTimeoutMs: o.headTimeoutMs ?? HEAD_TIMEOUT_MS,
    maxConnections: o.maxConnections ?? MAX_CLIENT_CONNECTIONS,
    resolve(host: string): Route | undefined {
      const route = host ? o.table().byHost.get(hostKey(host)) : undefined;
      if (route === undefined) o.onUnrouted();
      return route;
    },
    routes: o.table,
    notFound: (host) => notFound(host, o.table().spec.zone),
  });
}

function notFound(host: string, zone: string): string {
  const shown = host ? `"${host}"` : '(no Host header)';
  return `no service for host ${shown}; expected <service>.service.${zone}`;
}
