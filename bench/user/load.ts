/**
 * One wrk run of the user bench, pinned to core 1: keep-alive, or a new connection per request
 * (`Connection: close`: the server closes after each answer and wrk connects again — connection churn,
 * through the L7 proxy and, as plain bytes, through an L4 listener alike).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cpuSeconds } from '../proxy/wrk.js';

const exec = promisify(execFile);

export interface LoadResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** CPU the proxy process spent per request (µs): robust to a shared, busy machine. */
  cpuUsPerReq: number;
}

export interface LoadOptions {
  port: number;
  /** Host header: routes the L7 requests; an L4 listener passes it on unread. */
  host: string;
  seconds: number;
  connections: number;
  /** A new connection per request. */
  churn: boolean;
  /** The proxy's pid, for its CPU per request. */
  pid?: number;
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const cpu0 = o.pid ? cpuSeconds(o.pid) : 0;
  const headers = ['-H', `Host: ${o.host}`, ...(o.churn ? ['-H', 'Connection: close'] : [])];
  const { stdout } = await exec(
    'taskset',
    ['-c', '1', 'wrk', '-t1', `-c${o.connections}`, `-d${o.seconds}s`, '--latency', ...headers, `http://127.0.0.1:${o.port}/`],
    { timeout: (o.seconds + 30) * 1_000 },
  );
  const cpu = o.pid ? cpuSeconds(o.pid) - cpu0 : NaN;
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? NaN);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN);
  if (!Number.isFinite(rps) || !(requests > 0)) throw new Error(`wrk served nothing, or its output was not understood:\n${stdout}`);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  return {
    rps,
    p50Ms: percentile(stdout, 50),
    p99Ms: percentile(stdout, 99),
    errors: non2xx + (socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0),
    cpuUsPerReq: (cpu * 1e6) / requests,
  };
}

/** A line of wrk's latency distribution (`    99%    2.31ms`), in ms. */
function percentile(stdout: string, p: number): number {
  const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(stdout);
  return m ? Number(m[1]) * { us: 0.001, ms: 1, s: 1_000 }[m[2] as 'us' | 'ms' | 's'] : NaN;
}
