/**
 * What an exchange leaves behind: the status counters of its service and instance, the latency
 * histogram, passive ejection, and the access line (built only when the log level keeps it).
 */
import { recordFailure } from '../ejection.js';
import { countStatus } from '../stats.js';
import type { Route } from '../table.js';
import type { Upstream } from '../upstream.js';
import type { EngineContext } from './context.js';
import type { RequestHead } from './parse.js';

/**
 * `started`: performance.now() when the request head was read. Plain arguments, not an object:
 * this runs once per request.
 */
export function recordExchange(
  ctx: EngineContext,
  route: Route,
  u: Upstream | undefined,
  req: RequestHead,
  status: number,
  started: number,
  attempts: number,
  client: string,
  err: Error | undefined,
): void {
  const seconds = (performance.now() - started) / 1_000;
  const stats = route.stats;
  countStatus(stats.requests, status);
  if (u) countStatus(u.stats.requests, status);
  stats.latency.observe(seconds);
  // `errors`: what a 5xx or a failed exchange (including the client's 499) leaves; HAProxy's
  // `option dontlog-normal`, Envoy's `status_code_filter >= 500`.
  if (!ctx.accessLog.wants(route.accessLog, status >= 500 || err !== undefined)) return;
  ctx.accessLog.add(
    'access',
    {
      service: route.service,
      instance: u?.id,
      method: req.method,
      url: req.target,
      status,
      ms: Math.round(seconds * 10_000) / 10,
      attempts,
      client,
      err: err?.message,
    },
  );
}

/** Counts a failure (5xx, connect error) against the instance; logs when it gets ejected. */
export function ejectIfFailing(ctx: EngineContext, route: Route, u: Upstream, now: number): void {
  if (recordFailure(u, route.upstreams, now, ctx.ejection)) {
    ctx.log.warn({ service: u.service, instance: u.id, untilMs: u.ejectedUntil - now }, 'instance ejected');
  }
}

export function logUpgradeClosed(ctx: EngineContext, route: Route, u: Upstream, req: RequestHead): void {
  if (ctx.accessLog.wants(route.accessLog, false)) ctx.accessLog.add('upgrade closed', { service: route.service, instance: u.id, method: req.method, url: req.target, status: 101 });
}
