import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { DURATION_EXAMPLES, parseDuration } from '../../config/duration.js';
import { ApiCallError, ApiClient } from '../client.js';
import { CliError, usageError } from '../errors.js';
import { clientVerb, example, type ClientOptions } from '../options.js';

interface LogsOptions extends ClientOptions {
  follow?: boolean;
  tail?: string;
  since?: string;
  timestamps?: boolean;
  container?: string;
}

/** Longest NDJSON record accepted from the API: far above the agent's pieces (a socket read, JSON-escaped). */
const MAX_RECORD = 1024 * 1024;
/** The agent sends a keep-alive every 15 s on followed streams: three missed ones mean the server is gone. */
const FOLLOW_IDLE_MS = 45_000;

/** `logs`: a replica's output, from whichever host runs it, through the API. */
export function registerLogs(program: Command): void {
  example(
    clientVerb(
      program
        .command('logs')
        .argument('<instance>', 'instance (web-0: its current allocation) or allocation id')
        .description("print a replica's output (stdout to stdout, stderr to stderr), from whichever host runs it")
        .option('-f, --follow', 'keep printing output as it is written, until interrupted or the container stops')
        .option('--tail <lines>', 'only the last N lines (or "all")')
        .option('--since <when>', 'only output since a duration ago (10m, 1m30s) or an RFC 3339 time')
        .option('-t, --timestamps', "prefix every line with Docker's timestamp")
        .option('-c, --container <name>', "a pod's container (default: its first)"),
    ),
    'maestro logs web-0',
    'maestro logs redis-1 -f --tail 20',
    'maestro logs api-0 --since 10m -c sidecar',
  ).action((instance: string, opts: LogsOptions) => logs(instance, opts));
}

async function logs(instance: string, opts: LogsOptions): Promise<void> {
  const query = new URLSearchParams();
  if (opts.follow) query.set('follow', 'true');
  if (opts.timestamps) query.set('timestamps', 'true');
  if (opts.container) query.set('container', opts.container);
  if (opts.tail !== undefined) {
    if (opts.tail !== 'all' && !/^\d{1,7}$/.test(opts.tail)) throw usageError(`--tail: expected a number of lines or "all", got "${opts.tail}"`);
    query.set('tail', opts.tail);
  }
  if (opts.since !== undefined) query.set('since', String(sinceSeconds(opts.since)));
  const client = new ApiClient(opts.api, opts.token);
  const url = new URL(`v1/allocations/${encodeURIComponent(instance)}/logs?${query}`, client.base.href.endsWith('/') ? client.base : `${client.base.href}/`);
  const headers: Record<string, string> = { accept: 'application/x-ndjson' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const undici = await import('undici');
  const dispatcher = new undici.Agent({ connect: { timeout: 5_000 } });
  try {
    let res;
    try {
      res = await undici.request(url, { method: 'GET', headers, dispatcher, headersTimeout: 30_000, bodyTimeout: opts.follow ? FOLLOW_IDLE_MS : 60_000 });
    } catch (err) {
      throw new CliError(`cannot reach the Maestro API at ${client.base.origin} (${(err as { code?: string }).code ?? (err as Error).message})`, {
        hint: 'Is `maestro up` running? Point --api / MAESTRO_ADDR at a running API.',
      });
    }
    if (res.statusCode !== 200) throw apiError(res.statusCode, await res.body.text().catch(() => ''));
    // `maestro logs x | head`: stdout closes early; that ends the command, it is no crash.
    process.stdout.on('error', () => undefined);
    try {
      await printRecords(res.body, opts.json === true);
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw new CliError(`the log stream broke off: ${(err as { code?: string }).code ?? (err as Error).message}`);
    } finally {
      res.body.destroy();
    }
  } finally {
    await client.close();
    await dispatcher.close().catch(() => undefined);
  }
}

const HINTS: Record<string, string> = {
  not_found: 'List replicas with `maestro ps JOB`; a replica not started yet, or removed, has no output to show.',
  unavailable: "The replica's host or its agent cannot be reached from the API server; `maestro hosts` shows which are alive.",
  unauthorized: 'Pass the API token with --token or MAESTRO_API_TOKEN.',
  busy: 'Too many log streams are open on the API server or the agent; retry later.',
};

function apiError(status: number, text: string): CliError {
  let e: { code?: string; message?: string; details?: unknown } | undefined;
  try {
    e = (JSON.parse(text) as { error?: typeof e }).error;
  } catch {
    return new CliError(`the API answered ${status} with something other than JSON`, { hint: 'Check that --api / MAESTRO_ADDR points at a Maestro API.' });
  }
  const code = e?.code ?? `http_${status}`;
  return new ApiCallError(status, code, e?.message ?? `the API answered ${status}`, e?.details, HINTS[code]);
}

/** `10m`, `1m30s` ago, or an RFC 3339 time, as seconds since the epoch (what Docker's `since` takes). */
function sinceSeconds(text: string): number {
  const ago = parseDuration(text);
  if (ago !== undefined && !/^\d+$/.test(text)) return Math.max(0, (Date.now() - ago) / 1000);
  const at = /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(at)) throw usageError(`--since: expected a duration (${DURATION_EXAMPLES}) or an RFC 3339 time (2024-05-01T10:00:00Z), got "${text}"`);
  return at / 1000;
}

/** NDJSON records to stdout/stderr, waiting for each to take its bytes (a slow pipe slows the stream, end to end). */
async function printRecords(body: AsyncIterable<Buffer>, json: boolean): Promise<void> {
  let buffered = '';
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of body) {
    buffered += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.trim() !== '' && !(await printRecord(line, json))) return;
    }
    if (buffered.length > MAX_RECORD) throw new CliError(`the API sent a log record longer than ${MAX_RECORD} bytes; is --api a Maestro API?`);
  }
  if (buffered.trim() !== '') await printRecord(buffered, json);
}

/** False once stdout is gone (`maestro logs x | head`): stop quietly. */
async function printRecord(line: string, json: boolean): Promise<boolean> {
  let record: { stream?: unknown; text?: unknown; error?: unknown };
  try {
    record = JSON.parse(line) as typeof record;
  } catch {
    throw new CliError('the API sent a malformed log record; is --api a Maestro API?');
  }
  if (typeof record.error === 'string') throw new CliError(`the log stream ended with an error: ${record.error}`);
  if (typeof record.text !== 'string') return true;
  if (json) return write(process.stdout, `${line}\n`);
  return write(record.stream === 'stderr' ? process.stderr : process.stdout, record.text);
}

async function write(stream: Writable, text: string): Promise<boolean> {
  if (stream.destroyed || !stream.writable) return false;
  if (stream.write(text)) return true;
  const [ok] = await Promise.race([once(stream, 'drain').then(() => [true]), once(stream, 'error').then(() => [false]), once(stream, 'close').then(() => [false])]);
  return ok as boolean;
}
