/**
 * Balancing policies as a name → function map (fabio `route/picker.go`, CoreDNS `forward/policy.go`).
 * A policy picks one usable upstream: not ejected, not already tried by this request. When every
 * untried instance is ejected it falls back to ignoring ejection (Envoy's "panic" mode): a maybe-bad
 * instance beats a certain 503.
 */
import type { Upstream } from './upstream.js';

/** Per-route balancing state that survives route updates (kept per service by table.ts). */
export interface BalancerState {
  cursor: number;
}

export type Policy = (
  list: readonly Upstream[],
  state: BalancerState,
  now: number,
  tried: readonly Upstream[] | null,
) => Upstream | undefined;

export const POLICIES: Readonly<Record<string, Policy>> = Object.freeze({
  'round-robin': roundRobin,
  'least-in-flight': leastInFlight,
});

export const DEFAULT_POLICY = 'least-in-flight';

export function policyByName(name: string | undefined): Policy {
  const p = POLICIES[name ?? DEFAULT_POLICY];
  if (!p) throw new Error(`proxy: unknown balancing policy "${name}" (known: ${Object.keys(POLICIES).join(', ')})`);
  return p;
}

function usable(u: Upstream, now: number, tried: readonly Upstream[] | null): boolean {
  return !u.isEjected(now) && (tried === null || !tried.includes(u));
}

export function roundRobin(list: readonly Upstream[], state: BalancerState, now: number, tried: readonly Upstream[] | null): Upstream | undefined {
  const n = list.length;
  for (let i = 0; i < n; i++) {
    const u = list[state.cursor++ % n];
    if (state.cursor >= 0x3fffffff) state.cursor = 0;
    if (usable(u, now, tried)) return u;
  }
  return panic(list, state.cursor, tried);
}

/**
 * Power of two random choices: sample two distinct instances and take the one with fewer requests
 * in flight. Nearly as good as a full scan, O(1), and it avoids the herd that a global minimum
 * causes when many requests arrive together.
 */
export function leastInFlight(list: readonly Upstream[], _state: BalancerState, now: number, tried: readonly Upstream[] | null): Upstream | undefined {
  const n = list.length;
  if (n === 0) return undefined;
  if (n === 1) return usable(list[0], now, tried) ? list[0] : panic(list, 0, tried);
  const i = (Math.random() * n) | 0;
  const j = (i + 1 + ((Math.random() * (n - 1)) | 0)) % n;
  const a = list[i];
  const b = list[j];
  const okA = usable(a, now, tried);
  const okB = usable(b, now, tried);
  if (okA && okB) return a.inFlight <= b.inFlight ? a : b;
  if (okA) return a;
  if (okB) return b;
  let best: Upstream | undefined;
  for (let k = 0; k < n; k++) {
    const u = list[(i + k) % n];
    if (usable(u, now, tried) && (best === undefined || u.inFlight < best.inFlight)) best = u;
  }
  return best ?? panic(list, i, tried);
}

function panic(list: readonly Upstream[], start: number, tried: readonly Upstream[] | null): Upstream | undefined {
  const n = list.length;
  for (let k = 0; k < n; k++) {
    const u = list[(start + k) % n];
    if (tried === null || !tried.includes(u)) return u;
  }
  return undefined;
}
