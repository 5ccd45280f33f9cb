/**
 * What a caller asks of a replica's logs, and its query-string form, shared by the API
 * (`GET /v1/allocations/:id/logs`), the agent's endpoint (`GET /v1/logs/:alloc`) and the client
 * between them, so all three read and write the same parameters. Pure.
 */
import { LogsError } from './errors.js';

export interface LogRequest {
  /** The allocation whose container is read. */
  allocId: string;
  /** The pod member (`containers[i].name`); the API fills in the first container when none is asked for. */
  container: string;
  follow: boolean;
  /** Only the last N lines (absent: all). */
  tail?: number;
  /** Only output at or after this time, seconds since the epoch. */
  since?: number;
  timestamps: boolean;
}

/** Far above any terminal's scroll-back, low enough to refuse typos like 1e12. */
export const MAX_TAIL = 1_000_000;

export type LogQuery = Omit<LogRequest, 'allocId' | 'container'> & { container?: string };

/** The options of a query string; `bad_request` naming the parameter for anything malformed. */
export function parseLogQuery(params: URLSearchParams): LogQuery {
  const out: LogQuery = { follow: flag(params, 'follow'), timestamps: flag(params, 'timestamps') };
  const container = params.get('container');
  if (container !== null && container !== '') {
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(container)) throw new LogsError('bad_request', `container: "${container.slice(0, 64)}" is not a container name of a job`);
    out.container = container;
  }
  const tail = params.get('tail');
  if (tail !== null && tail !== '' && tail !== 'all') {
    if (!/^\d{1,7}$/.test(tail) || Number(tail) > MAX_TAIL) throw new LogsError('bad_request', `tail: expected a number of lines from 0 to ${MAX_TAIL} or "all", got "${tail.slice(0, 32)}"`);
    out.tail = Number(tail);
  }
  const since = params.get('since');
  if (since !== null && since !== '') {
    const n = Number(since);
    if (!/^\d{1,12}(\.\d{1,9})?$/.test(since) || !Number.isFinite(n)) {
      throw new LogsError('bad_request', `since: expected seconds since the epoch (e.g. 1700000000.5), got "${since.slice(0, 32)}"`);
    }
    out.since = n;
  }
  return out;
}

function flag(params: URLSearchParams, name: string): boolean {
  const v = params.get(name);
  if (v === null || v === '' || v === '0' || v === 'false') return false;
  if (v === '1' || v === 'true') return true;
  throw new LogsError('bad_request', `${name}: expected true or false, got "${v.slice(0, 32)}"`);
}

/** The query string of a request (without the allocation, which goes in the path). */
export function logQueryString(req: LogQuery): string {
  const p = new URLSearchParams();
  if (req.container) p.set('container', req.container);
  if (req.follow) p.set('follow', 'true');
  if (req.tail !== undefined) p.set('tail', String(req.tail));
  if (req.since !== undefined) p.set('since', String(req.since));
  if (req.timestamps) p.set('timestamps', 'true');
  return p.toString();
}
