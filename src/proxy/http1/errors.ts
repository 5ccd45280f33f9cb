/**
 * Why an exchange failed, as error codes. They keep undici's names (the data path's former client)
 * so that log searches and alerts written for it keep matching.
 */

export const CONNECT_TIMEOUT = 'UND_ERR_CONNECT_TIMEOUT';
export const HEADERS_TIMEOUT = 'UND_ERR_HEADERS_TIMEOUT';
export const BODY_TIMEOUT = 'UND_ERR_BODY_TIMEOUT';
export const SOCKET = 'UND_ERR_SOCKET';
export const INVALID_RESPONSE = 'UND_ERR_INVALID_RESPONSE';
export const HEADERS_OVERFLOW = 'UND_ERR_HEADERS_OVERFLOW';
/** No connection slot to the instance freed up in time (HAProxy's `timeout queue`). */
export const QUEUE_TIMEOUT = 'MAESTRO_QUEUE_TIMEOUT';

export type CodedError = Error & { code: string };

export function codedError(code: string, message: string): CodedError {
  return Object.assign(new Error(message), { code });
}

export function codeOf(err: Error): string {
  return (err as { code?: string }).code ?? 'error';
}

/** The answer for a request that got no usable response: 504 for timeouts, else 502. */
export function failureStatus(code: string): number {
  return code === CONNECT_TIMEOUT || code === HEADERS_TIMEOUT || code === 'ETIMEDOUT' ? 504 : 502;
}
