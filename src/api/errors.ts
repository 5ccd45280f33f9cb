import type { ServerResponse } from 'node:http';
import { SelectorError } from './selector.js';

/** The stable error codes of the API; clients branch on these, never on messages. */
export type ApiErrorCode =
  | 'invalid_spec'
  | 'bad_request'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'payload_too_large'
  | 'unauthorized'
  | 'forbidden'
  | 'unsupported_media_type'
  | 'busy'
  | 'too_many_requests'
  | 'unavailable'
  | 'internal';

const STATUS: Record<ApiErrorCode, number> = {
  invalid_spec: 400,
  bad_request: 400,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unauthorized: 401,
  forbidden: 403,
  unsupported_media_type: 415,
  busy: 503,
  too_many_requests: 429,
  unavailable: 503,
  internal: 500,
};

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = STATUS[code];
  }
}

/** What goes on the wire: `{ error: { code, message, details? } }`. */
export interface ErrorBody {
  error: { code: ApiErrorCode; message: string; details?: unknown };
}

/**
 * Maps whatever a handler threw onto an ApiError. Components throw their own typed errors with
 * stable codes (SpecError `invalid_spec`, CatalogError `not_found`/`unavailable`/…); only the code
 * is looked at, so this module does not import the components.
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof SelectorError) return new ApiError('bad_request', err.message);
  const e = err as { code?: unknown; message?: unknown; problems?: unknown } | undefined;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  switch (e?.code) {
    case 'invalid_spec':
      return new ApiError('invalid_spec', message, { problems: Array.isArray(e.problems) ? e.problems : [] });
    case 'not_found':
      return new ApiError('not_found', message);
    case 'bad_request':
      return new ApiError('bad_request', message);
    // Concurrent writers kept winning the compare-and-set: safe to retry.
    case 'conflict':
      return new ApiError('conflict', message);
    // The catalog is down or shutting down: the caller may retry later.
    case 'unavailable':
    case 'closed':
    case 'session_invalid':
      return new ApiError('unavailable', message);
    default:
      return new ApiError('internal', 'internal error', undefined);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

export function sendError(res: ServerResponse, err: ApiError): void {
  const body: ErrorBody = { error: { code: err.code, message: err.message } };
  if (err.details !== undefined) body.error.details = err.details;
  if (err.code === 'unauthorized') res.setHeader('www-authenticate', 'Bearer realm="maestro"');
  if (err.code === 'busy' || err.code === 'too_many_requests') res.setHeader('retry-after', '1');
  sendJson(res, err.status, body);
}
