/**
 * Passive outlier ejection (Envoy's consecutive-5xx / gateway-failure detector, simplified): an
 * instance with `consecutiveFailures` connect errors or 5xx in a row is skipped for a back-off that
 * doubles with every ejection in a row, up to `maxMs`. Never more than `maxShare` of a route's
 * instances are ejected at once, so a bad deploy degrades to "slow" rather than "empty".
 */
import type { Upstream } from './upstream.js';

export interface EjectionOptions {
  consecutiveFailures: number;
  baseMs: number;
  maxMs: number;
  /** Highest fraction of a route's instances that may be ejected at one time. */
  maxShare: number;
}

export const DEFAULT_EJECTION: EjectionOptions = { consecutiveFailures: 3, baseMs: 1_000, maxMs: 30_000, maxShare: 0.5 };

/** A request succeeded: the failure run ends; a clean success after an ejection resets the back-off. */
export function recordSuccess(u: Upstream, now: number): void {
  u.failures = 0;
  if (u.ejectionStreak !== 0 && u.ejectedUntil <= now) u.ejectionStreak = 0;
}

/**
 * A connect error or 5xx. Returns true when this failure ejected the instance.
 * `peers` is the route the instance serves in (the cap is counted over it).
 */
export function recordFailure(u: Upstream, peers: readonly Upstream[], now: number, o: EjectionOptions): boolean {
  u.failures++;
  if (u.failures < o.consecutiveFailures || u.isEjected(now)) return false;
  let ejected = 0;
  for (const p of peers) if (p !== u && p.isEjected(now)) ejected++;
  if (ejected + 1 > Math.floor(peers.length * o.maxShare)) return false;
  u.ejectedUntil = now + Math.min(o.maxMs, o.baseMs * 2 ** Math.min(u.ejectionStreak, 20));
  u.ejectionStreak++;
  u.failures = 0;
  u.stats.ejections++;
  return true;
}
