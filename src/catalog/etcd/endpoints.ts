/**
 * Which etcd members answer, so calls and new streams go only to those. etcd's own Go client routes
 * around a member whose connection fails its health check; the `etcd3` package instead sends each
 * call to a shuffled endpoint, waits out the call's deadline on a dead one, retries the next, and
 * skips an endpoint for 5 s only after three such failures in a row. Behind a partitioned member
 * (packets dropped, no reset) that made a third of all calls — and one more every 5 s — wait 2 s:
 * an agent's status writes, the scheduler's commits, the lease renewals.
 *
 * Here, with two or more endpoints, each is probed every second (Maintenance.Status, 1 s deadline).
 * An endpoint whose probe fails, that reports no leader (a member cut off from the others), or on
 * which a call failed unavailable or past its deadline, is passed over by calls and new streams
 * until a probe answers again. When no endpoint is healthy, every one is tried as before: the store
 * may be back before the probes know it.
 */
import { castGrpcError, Etcd3, GRPCDeadlineExceededError, GRPCUnavailableError, type IOptions } from 'etcd3';
import type { Logger } from '../../log/index.js';

/** The per-endpoint policy the `etcd3` package runs every call and stream opening through. */
type HostPolicy = ReturnType<NonNullable<NonNullable<IOptions['faultHandling']>['host']>>;

export const PROBE_INTERVAL_MS = 1_000;
/** Deadline of one probe (the probe clients' call deadline, set in client.ts). */
export const PROBE_TIMEOUT_MS = 1_000;

/** Thrown (and caught by the package, which moves to the next endpoint) when an endpoint is passed over. */
export class EndpointSkippedError extends Error {
  constructor(endpoint: string) {
    super(`etcd endpoint ${endpoint} is not answering; trying another`);
    this.name = 'EndpointSkippedError';
  }
}

export class EndpointHealth {
  private readonly down = new Set<string>();
  private readonly probes = new Map<string, Etcd3>();
  private readonly inFlight = new Set<string>();
  private readonly timer: NodeJS.Timeout;

  /**
   * `endpoints`: as given to the package (it hands each back to `policyFor`); `probeClient` builds a
   * client for one endpoint with the caller's TLS and auth, and no fault handling of its own.
   */
  constructor(
    private readonly endpoints: readonly string[],
    probeClient: (endpoint: string) => Etcd3,
    private readonly logger?: Logger,
  ) {
    for (const e of endpoints) this.probes.set(e, probeClient(e));
    this.timer = setInterval(() => this.probeAll(), PROBE_INTERVAL_MS);
    this.timer.unref();
  }

  /** The policy for one endpoint: pass it over while it is down (unless all are), note what failed on it. */
  policyFor(endpoint: string): HostPolicy {
    return policy(async (fn) => {
      if (!this.routable(endpoint)) throw new EndpointSkippedError(endpoint);
      try {
        return await fn();
      } catch (err) {
        if (isUnreachable(err)) this.markDown(endpoint, err);
        throw err;
      }
    });
  }

  close(): void {
    clearInterval(this.timer);
    for (const p of this.probes.values()) p.close();
  }

  private routable(endpoint: string): boolean {
    return !this.down.has(endpoint) || this.down.size >= this.endpoints.length;
  }

  private probeAll(): void {
    for (const [endpoint, client] of this.probes) {
      if (this.inFlight.has(endpoint)) continue;
      this.inFlight.add(endpoint);
      client.maintenance.status().then(
        (s) => (s.leader === '0' ? this.markDown(endpoint, new Error('member has no leader')) : this.markUp(endpoint)),
        (err: unknown) => this.markDown(endpoint, err),
      ).finally(() => this.inFlight.delete(endpoint));
    }
  }

  private markDown(endpoint: string, err: unknown): void {
    if (this.down.has(endpoint)) return;
    this.down.add(endpoint);
    this.logger?.warn({ endpoint, err: (err as Error)?.message ?? String(err) }, 'etcd endpoint not answering; routing around it');
  }

  private markUp(endpoint: string): void {
    if (!this.down.delete(endpoint)) return;
    this.logger?.info({ endpoint }, 'etcd endpoint answers again');
  }
}

/** A policy that runs the call as it is: for the probe clients, which must not retry or skip. */
export function passThroughPolicy(): HostPolicy {
  return policy((fn) => fn());
}

/** cockatiel's IPolicy shape (the package's type) around `run`; the events are never fired. */
function policy(run: <T>(fn: () => Promise<T>) => Promise<T>): HostPolicy {
  const noEvent = () => ({ dispose: () => undefined });
  const p = {
    onSuccess: noEvent,
    onFailure: noEvent,
    execute: <T>(fn: (ctx: { signal: AbortSignal }) => PromiseLike<T> | T, signal?: AbortSignal) =>
      run(async () => fn({ signal: signal ?? new AbortController().signal })),
  };
  return p as unknown as HostPolicy;
}

/** A failure that says the endpoint is unreachable or stuck, not that the request was refused. */
function isUnreachable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const e = castGrpcError(err);
  return e instanceof GRPCUnavailableError || e instanceof GRPCDeadlineExceededError;
}
