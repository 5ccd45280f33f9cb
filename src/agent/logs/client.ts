/**
 * How a server reads a replica's logs: from the local agent in the same process (`maestro up`), or
 * from the agent of the replica's host over HTTP, at the address and with the token that agent
 * published in the catalog (record.ts). Resolves once the agent answered 200, so the API can still
 * answer an error status; the body is then passed on as it comes (back-pressure: undici stops
 * reading the agent's socket while the API's client does not read).
 */
import type { Dispatcher } from 'undici';
import type { Catalog } from '../../catalog/types.js';
import { LogsError, type LogsErrorCode } from './errors.js';
import { DEFAULT_KEEPALIVE_MS, type LocalLogs } from './reader.js';
import { findEndpoint } from './record.js';
import { logQueryString, type LogRequest } from './request.js';

export type LogSource = (host: string, req: LogRequest, signal: AbortSignal) => Promise<AsyncIterable<string | Buffer>>;

export interface LogSourceOptions {
  catalog: Catalog;
  /** This process's own agent (`maestro up`): its host's logs are read without the network. */
  local?: { host: string; logs: LocalLogs };
  connectTimeoutMs?: number;
  /** How long a followed stream may stay silent (keep-alives included) before the agent counts as gone. */
  idleMs?: number;
}

const MAX_ERROR_BODY = 16 * 1024;

export function agentLogSource(opts: LogSourceOptions): LogSource {
  let dispatcher: Dispatcher | undefined;
  return async (host, req, signal) => {
    if (opts.local && host === opts.local.host) return opts.local.logs(req, signal);
    const endpoint = await findEndpoint(opts.catalog, host);
    if (!endpoint) {
      throw new LogsError('unavailable', `host ${host} has published no log endpoint in the catalog: its agent is not running (or predates logs)`);
    }
    const undici = await import('undici');
    dispatcher ??= new undici.Agent({ connect: { timeout: opts.connectTimeoutMs ?? 5_000 } });
    const url = `http://${endpoint.addr}/v1/logs/${encodeURIComponent(req.allocId)}?${logQueryString(req)}`;
    let res: Dispatcher.ResponseData;
    try {
      res = await undici.request(url, {
        method: 'GET',
        headers: { authorization: `Bearer ${endpoint.token}`, accept: 'application/x-ndjson' },
        dispatcher,
        signal,
        headersTimeout: 15_000,
        // Followed streams carry a keep-alive every 15 s: three missed ones mean the agent is gone.
        bodyTimeout: req.follow ? (opts.idleMs ?? 3 * DEFAULT_KEEPALIVE_MS) : 60_000,
      });
    } catch (err) {
      if (signal.aborted) throw err;
      const why = (err as { code?: string }).code ?? (err as Error).message;
      throw new LogsError('unavailable', `cannot reach the agent of host ${host} at ${endpoint.addr} (${why})`, { cause: err });
    }
    if (res.statusCode === 200) return res.body;
    throw new LogsError(codeOf(res.statusCode), await errorMessage(res, host));
  };
}

function codeOf(status: number): LogsErrorCode {
  if (status === 400) return 'bad_request';
  if (status === 404) return 'not_found';
  if (status === 503) return 'busy';
  // 401 means the record we read is not the agent's current one (it restarted just now) or a
  // stranger listens at its address: either way the logs are unavailable, and the user's request was fine.
  return 'unavailable';
}

async function errorMessage(res: Dispatcher.ResponseData, host: string): Promise<string> {
  let text = '';
  for await (const chunk of res.body) {
    text += String(chunk);
    if (text.length > MAX_ERROR_BODY) break;
  }
  res.body.destroy();
  try {
    const message = (JSON.parse(text) as { error?: { message?: string } }).error?.message;
    if (typeof message === 'string') return res.statusCode === 401 ? `the agent of host ${host} refused the server: ${message}` : message;
  } catch {
    // not ours: fall through
  }
  return `the agent of host ${host} answered ${res.statusCode}`;
}
