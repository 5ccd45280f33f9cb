/**
 * The retry rule, as a pure decision over what happened to one attempt. A request is tried again
 * (up to `attempts` in all) when nothing of it reached the instance (the connection never opened,
 * or the request was never written: a body is still queued here), and when an idempotent bodiless
 * request got no response byte. Never after a response byte, never after a header timeout: the
 * instance may be working on it.
 */
import { BODY_TIMEOUT, HEADERS_TIMEOUT } from './errors.js';
import { Body, type RequestHead } from './parse.js';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

export interface Attempt {
  /** The connection never opened. */
  connectFailed: boolean;
  /** The request head was written to the instance. */
  sent: boolean;
  /** It was a keep-alive connection that served a request before. */
  reused: boolean;
  /** A response byte arrived. */
  gotByte: boolean;
  code: string;
}

/**
 * A reused connection that failed before any response byte (and not by a timeout) was most likely
 * closed by the instance as we wrote: it says nothing about the instance, which may serve again.
 */
export function isStale(a: Attempt): boolean {
  return !a.connectFailed && a.reused && !a.gotByte && a.code !== HEADERS_TIMEOUT && a.code !== BODY_TIMEOUT;
}

export function isRetryable(a: Attempt, req: RequestHead): boolean {
  if (a.connectFailed || !a.sent) return true;
  return !a.gotByte && a.code !== HEADERS_TIMEOUT && req.body === Body.None && IDEMPOTENT.has(req.method);
}
