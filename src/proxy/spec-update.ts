/**
 * The route spec after some services changed, in proportion to them: the catalog's change feed
 * (mirror.ts) says which services a batch touched, and only those are compared and rebuilt. The
 * services map is copied (references, one per service) so the spec before stays whole for the
 * requests still reading it. L4 ports and problems are recomputed only when a changed service
 * claims a port or reports a problem (before or after); otherwise they are the previous spec's.
 */
import type { ServiceInstance } from '../catalog/types.js';
import { sameRouting } from './spec-service.js';
import { assembleSpec, buildService, type RouteSpec, type ServiceSpec } from './spec.js';

/** `previous` with `changed` applied: service name → all its instances now (empty: the service is gone). */
export function updateRouteSpec(previous: RouteSpec, changed: ReadonlyMap<string, readonly ServiceInstance[]>): RouteSpec {
  const steps = routeSpecSteps(previous, changed);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** `updateRouteSpec`, yielding after each service: a cold start of 1,000 services can give the loop back. */
export function* routeSpecSteps(previous: RouteSpec, changed: ReadonlyMap<string, readonly ServiceInstance[]>): Generator<void, RouteSpec> {
  const updates: [string, ServiceSpec | undefined][] = [];
  const names = new Set<string>();
  let recount = false;
  for (const [service, source] of changed) {
    const old = previous.services.get(service);
    let next: ServiceSpec | undefined;
    if (source.length > 0) next = old !== undefined && sameRouting(old.source, source) ? old : buildService(service, previous.zone, source, old);
    yield;
    if (next === old) continue;
    updates.push([service, next]);
    names.add(service);
    recount ||= (old?.claims.size ?? 0) + (next?.claims.size ?? 0) + (old?.problems.length ?? 0) + (next?.problems.length ?? 0) > 0;
  }
  if (names.size === 0) return previous;
  return assembleSpec(previous.zone, previous.services.with(updates), recount ? undefined : previous, { changed: names, changedFrom: previous.version });
}
