/**
 * The one module that builds the `etcd3` client and maps its failures: every other file here gets
 * a connected `Etcd3` and `call()`, which turns any error into a `CatalogError` with a stable code.
 *
 * A failed call is retried up to three times (the package's own retry policy), each time on the next
 * endpoint — that is how a member being down or a leader change inside etcd ("leader changed",
 * UNAVAILABLE) stays invisible. With several endpoints, one that does not answer is passed over until
 * it does again (endpoints.ts); with one, every call is tried (the package's breaker, which would
 * refuse all calls for 5 s after three failures in a row, is not used). Every unary attempt has a
 * deadline, so a partitioned or silent etcd is an `unavailable` error, never a hang. Watch streams
 * reconnect with our back-off (100 ms doubling to 2 s: the package's default grows to 30 s, which
 * would delay convergence after an outage by as much).
 */
import {
  ClientClosedError, Etcd3, EtcdAuthenticationFailedError, EtcdInvalidAuthTokenError, EtcdLeaseInvalidError,
  EtcdPermissionDeniedError, GRPCInvalidArgumentError, type IOptions,
} from 'etcd3';
import type { Logger } from '../../log/index.js';
import { CatalogError } from '../types.js';
import { EndpointHealth, passThroughPolicy, PROBE_TIMEOUT_MS } from './endpoints.js';

export interface EtcdConnectOptions {
  /** Client URLs, `http://host:2379` or `https://…`; calls rotate between them. */
  endpoints: string[];
  /** PEM contents (not paths): CA to verify the members, and a client certificate + key. */
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  /** etcd user/password auth (etcd hands out a token per connection). */
  auth?: { user: string; password: string };
  /** Deadline of one attempt of a unary call (default 2 s; up to four attempts on a dead member). */
  callTimeoutMs?: number;
}

/** A connected client, and what must be closed with it. */
export interface EtcdConnection {
  client: Etcd3;
  close(): void;
}

export function connect(opts: EtcdConnectOptions, logger?: Logger): EtcdConnection {
  const callTimeoutMs = opts.callTimeoutMs ?? 2_000;
  const options = clientOptions(opts, opts.endpoints, callTimeoutMs);
  options.faultHandling = { watchBackoff: backoff(100, 2_000) };
  const passThrough = passThroughPolicy();
  let health: EndpointHealth | undefined;
  if (opts.endpoints.length === 1) {
    // Nowhere else to go: the package's breaker (open for 5 s after three failed calls in a row)
    // would only turn a slow or restarting etcd into 5 s of certain failures — lease renewals
    // included, so a scheduler would step down. Each attempt keeps its deadline.
    options.faultHandling.host = () => passThrough;
  } else {
    // Probe clients: one endpoint each, a short deadline, and no retries or breaker of their own.
    const endpoints = new EndpointHealth(
      opts.endpoints,
      (endpoint) => new Etcd3({ ...clientOptions(opts, endpoint, PROBE_TIMEOUT_MS), faultHandling: { global: passThrough, host: () => passThrough } }),
      logger,
    );
    options.faultHandling.host = (endpoint) => endpoints.policyFor(endpoint);
    health = endpoints;
  }
  const client = new Etcd3(options);
  return {
    client,
    close: () => {
      health?.close();
      client.close();
    },
  };
}

/** What every client of these endpoints shares: TLS, auth, deadlines, gRPC channel settings. */
function clientOptions(opts: EtcdConnectOptions, hosts: string | string[], callTimeoutMs: number): IOptions {
  const options: IOptions = {
    hosts,
    dialTimeout: callTimeoutMs,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
    // gRPC's default 4 MiB cap on an answer is below a page of listings (range.ts) or a watch batch.
    grpcOptions: {
      'grpc.max_receive_message_length': 256 * 1024 * 1024,
      // A partitioned member drops packets without a reset: without pings a watch stream on it (the
      // state view's, the blocking reads') goes silent for good. Ping while streams are open — every
      // 5 s, etcd's --grpc-keepalive-min-time; more often earns a GOAWAY — and give up after 3 s,
      // so the stream fails and is resumed on a member that answers, as etcd's own client does.
      'grpc.keepalive_time_ms': 5_000,
      'grpc.keepalive_timeout_ms': 3_000,
      'grpc.keepalive_permit_without_calls': 0,
    },
  };
  if (opts.tls && (opts.tls.ca || opts.tls.cert || opts.tls.key)) {
    // grpc's createSsl takes null for "the system's roots"; the package's type insists on a Buffer.
    options.credentials = {
      rootCertificate: opts.tls.ca as Buffer,
      ...(opts.tls.key ? { privateKey: opts.tls.key } : {}),
      ...(opts.tls.cert ? { certChain: opts.tls.cert } : {}),
    };
  }
  if (opts.auth) options.auth = { username: opts.auth.user, password: opts.auth.password };
  return options;
}

type Backoff = NonNullable<NonNullable<IOptions['faultHandling']>['watchBackoff']>;

/** Exponential back-off in cockatiel's IBackoff shape: `duration`, then `next()` doubles it up to `max`. */
function backoff(ms: number, max: number): Backoff {
  return { duration: ms, next: () => backoff(Math.min(max, ms * 2), max) };
}

/** Maps anything the package or grpc throws onto the port's error codes. */
export function toCatalogError(err: unknown, what: string): CatalogError {
  if (err instanceof CatalogError) return err;
  const e = err as Error;
  const msg = `etcd ${what}: ${e?.message ?? String(err)}`;
  if (e instanceof ClientClosedError) return new CatalogError('closed', 'catalog closed', { cause: err });
  if (e instanceof EtcdLeaseInvalidError) return new CatalogError('session_invalid', msg, { cause: err });
  if (
    e instanceof EtcdPermissionDeniedError ||
    e instanceof EtcdAuthenticationFailedError ||
    e instanceof EtcdInvalidAuthTokenError ||
    e instanceof GRPCInvalidArgumentError
  ) {
    return new CatalogError('bad_request', msg, { cause: err });
  }
  // Connection refused, deadline exceeded, an open circuit, no leader: the store is not there now.
  return new CatalogError('unavailable', msg, { cause: err });
}

/** Runs one etcd operation, mapping its failure; `closed` short-circuits once the catalog closed. */
export async function call<T>(closed: () => boolean, what: string, fn: () => Promise<T>): Promise<T> {
  if (closed()) throw new CatalogError('closed', 'catalog closed');
  try {
    return await fn();
  } catch (err) {
    if (closed()) throw new CatalogError('closed', 'catalog closed');
    throw toCatalogError(err, what);
  }
}

export function abortError(): Error {
  const err = new Error('The operation was aborted');
  err.name = 'AbortError';
  return err;
}
