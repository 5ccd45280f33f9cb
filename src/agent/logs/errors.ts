/** Why a log stream could not be opened; the API and the agent endpoint map `code` to a status. */
export type LogsErrorCode = 'bad_request' | 'not_found' | 'unauthorized' | 'busy' | 'unavailable';

export class LogsError extends Error {
  constructor(
    readonly code: LogsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LogsError';
  }
}

export const LOGS_STATUS: Record<LogsErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  not_found: 404,
  busy: 503,
  unavailable: 503,
};
