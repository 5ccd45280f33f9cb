import type { LogSource } from '../../agent/logs/client.js';
import { LogsError } from '../../agent/logs/errors.js';
import { parseLogQuery } from '../../agent/logs/request.js';
import { instanceName, type Allocation } from '../../state/index.js';
import type { StateView } from '../../view/types.js';
import type { Cluster } from '../cluster.js';
import { ApiError, type ApiErrorCode } from '../errors.js';
import type { Router } from '../router.js';

export interface LogRouteOptions {
  /** Reads one allocation's container on its host (src/agent/logs/client.ts). */
  source: LogSource;
  /** Open log streams this API serves at once; more get 503 busy (default 64). */
  maxStreams?: number;
  /** A client that takes no bytes for this long while some wait is cut (default 30 s, src/agent/logs/pump.ts). */
  stallMs?: number;
}

/**
 * `GET /v1/allocations/:id/logs`: a replica's output, from the agent of whichever host runs it.
 * `:id` is an allocation id or an instance name (`web-0`: its current allocation — the running
 * one, else the newest). Answers NDJSON (src/agent/logs/ndjson.ts) as the agent sends it; errors
 * before the first byte are the usual JSON errors.
 */
export function logRoutes(router: Router, cluster: Cluster, opts: LogRouteOptions | undefined): void {
  const maxStreams = opts?.maxStreams ?? 64;
  let open = 0;
  router.add('GET', '/v1/allocations/:id/logs', async (req) => {
    if (!opts) throw new ApiError('unavailable', 'this API server reads no logs (started without a log source)');
    const query = parseQuery(req.url.searchParams);
    const id = req.params.id!;
    const { view } = cluster;
    const alloc = findAllocation(view, id);
    if (!alloc) throw new ApiError('not_found', `no allocation or instance named ${id} (see maestro ps)`);
    const record = view.job(alloc.job);
    const container = query.container ?? record?.job.containers[0]?.name;
    if (!container) throw new ApiError('not_found', `job ${alloc.job} of allocation ${alloc.id} is gone`);
    const host = view.host(alloc.host);
    if (host && !host.alive) throw new ApiError('unavailable', `host ${alloc.host}, where ${alloc.id} runs, is down: its agent cannot serve logs`);
    if (open >= maxStreams) throw new ApiError('busy', `${maxStreams} log streams are open on this API server already; retry later`);
    open++;
    let stream: AsyncIterable<string | Buffer>;
    try {
      stream = await opts.source(alloc.host, { ...query, allocId: alloc.id, container }, req.signal);
    } catch (err) {
      open--;
      throw toApi(err);
    }
    return { stream: counted(stream, () => open--), contentType: 'application/x-ndjson; charset=utf-8', ...(opts.stallMs ? { stallMs: opts.stallMs } : {}) };
  });
}

/** The allocation an id names: itself, or the current allocation of an instance name (`<job>-<ordinal>`). */
export function findAllocation(view: Pick<StateView, 'alloc' | 'allocsOfJob' | 'status'>, id: string): Allocation | undefined {
  const exact = view.alloc(id);
  if (exact) return exact;
  const rank = (a: Allocation) => (a.desired === 'run' ? 2 : 0) + (view.status(a.id)?.state === 'running' ? 1 : 0);
  // The job is the name up to its last dash (job names may contain dashes; ordinals do not).
  const dash = id.lastIndexOf('-');
  if (dash <= 0) return undefined;
  return view
    .allocsOfJob(id.slice(0, dash))
    .filter((a) => instanceName(a.job, a.ordinal) === id)
    .sort((a, b) => rank(b) - rank(a) || b.createdAt - a.createdAt)[0];
}

function parseQuery(params: URLSearchParams) {
  try {
    return parseLogQuery(params);
  } catch (err) {
    throw toApi(err);
  }
}

const CODES: Record<string, ApiErrorCode> = { bad_request: 'bad_request', not_found: 'not_found', busy: 'busy', unavailable: 'unavailable', unauthorized: 'unavailable' };

function toApi(err: unknown): unknown {
  return err instanceof LogsError ? new ApiError(CODES[err.code] ?? 'unavailable', err.message) : err;
}

/** Runs `done` once when the stream ends, however it ends. */
async function* counted(stream: AsyncIterable<string | Buffer>, done: () => void): AsyncIterable<string | Buffer> {
  try {
    yield* stream;
  } finally {
    done();
  }
}
