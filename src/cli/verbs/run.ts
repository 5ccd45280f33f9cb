import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Command } from 'commander';
import type { JobDetail } from '../../api/index.js';
import { parseDuration } from '../../config/index.js';
import { ApiCallError, type ApiClient } from '../client.js';
import { CliError, EXIT, usageError } from '../errors.js';
import { clientVerb, example, withClient, type ClientOptions } from '../options.js';
import { out, printJson } from '../table.js';
import { statusText } from './jobs.js';
import { oneLine } from './ps.js';

interface RunOptions extends ClientOptions {
  detach?: boolean;
  timeout: string;
}

/** How long unplaced replicas must stay unplaced, with nothing else in progress, before giving up. */
const UNPLACED_SETTLE_MS = 2_000;
/**
 * Consecutive failures of one replica that make it crash-looping: the second proves a loop rather
 * than a blip, and is where the scheduler's back-off starts (the first is replaced at once).
 */
export const CRASH_LOOP_FAILURES = 2;
/**
 * The longest one blocking query waits (the client's answer deadline is 30 s); between changes the
 * follower still wakes for what only time changes (a replica becoming stably healthy, unplaced ones
 * settling), never on a fixed poll.
 */
const MAX_WAIT_MS = 20_000;

export function registerRun(program: Command): void {
  example(
    clientVerb(
      program
        .command('run')
        .argument('<file>', 'job spec, YAML or JSON')
        .description('create or update a job, then follow it until every replica is healthy (or say why not)')
        .option('-d, --detach', 'return once the job is accepted')
        .option('--timeout <duration>', 'how long to wait for healthy replicas', '2m'),
    ),
    'maestro run examples/guestbook/redis-leader.yaml',
    'maestro run job.json --detach --json',
  ).action((file: string, opts: RunOptions) => run(file, opts));
}

async function run(file: string, opts: RunOptions): Promise<void> {
  let timeoutMs: number;
  try {
    timeoutMs = parseDuration('--timeout', opts.timeout);
  } catch (err) {
    throw usageError((err as Error).message);
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw usageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const contentType = extname(file).toLowerCase() === '.json' ? 'application/json' : 'application/yaml';
  await withClient(opts, async (client) => {
    let submitted: { created: boolean; changed: boolean; job: JobDetail };
    try {
      submitted = await client.call('POST', '/v1/jobs', text, contentType);
    } catch (err) {
      throw specError(file, err);
    }
    const { job } = submitted;
    const what = submitted.created ? 'created' : submitted.changed ? 'updated' : 'unchanged';
    if (!opts.json) out(`job ${job.name} ${what} (version ${job.version}, ${job.wanted} replicas wanted)`);
    if (opts.detach) return opts.json ? printJson(submitted) : undefined;
    const final = await follow(client, job.name, timeoutMs, !opts.json);
    if (opts.json) printJson({ ...submitted, job: final });
  });
}

/** Every problem of an invalid spec, one per line, as a usage error (exit 2), naming the file. */
function specError(file: string, err: unknown): unknown {
  if (!(err instanceof ApiCallError)) return err;
  if (err.code === 'bad_request') return new CliError(`${file}: ${err.message}`, { exitCode: EXIT.usage });
  if (err.code !== 'invalid_spec') return err;
  const problems = ((err.details as { problems?: { path: string; message: string }[] })?.problems ?? []).map(
    (p) => `  ${p.path || '(document)'}: ${p.message}`,
  );
  return new CliError(`${file}: invalid job spec (${problems.length} problem${problems.length === 1 ? '' : 's'}); nothing was changed`, {
    exitCode: EXIT.usage,
    lines: problems,
  });
}

/**
 * Follows the job with blocking queries (`?index=&wait=`: an answer as soon as anything changed),
 * printing each replica's changes, until healthy, failed or out of time.
 */
async function follow(client: ApiClient, name: string, timeoutMs: number, verbose: boolean): Promise<JobDetail> {
  const deadline = Date.now() + timeoutMs;
  const seen = new Map<string, string>();
  let unplacedSince: number | undefined;
  let lastReasons = '';
  let index: number | undefined;
  let waitMs = 0;
  for (;;) {
    const query = index ? { index: String(index), wait: `${Math.max(1, Math.ceil(waitMs))}ms` } : {};
    const { job } = await client.get<{ job: JobDetail }>(`/v1/jobs/${encodeURIComponent(name)}`, query);
    index = client.lastIndex;
    if (verbose) {
      for (const a of job.allocations) {
        const line = `${a.status ?? a.state}${a.healthy ? ', healthy' : ''}${a.message ? ` (${oneLine(a.message)})` : ''}`;
        if (seen.get(a.id) !== line) out(`  ${a.instance} on ${a.host}: ${line}`);
        seen.set(a.id, line);
      }
      const reasons = job.unplacedReasons.map((f) => f.message).join('\n  ');
      if (reasons && reasons !== lastReasons) out(`  unplaced: ${reasons}`);
      lastReasons = reasons;
    }
    if (job.state === 'healthy' || job.state === 'stopped') {
      const held = job.job.update.minHealthyMs ? ` for ${job.job.update.minHealthyMs / 1000}s` : '';
      if (verbose) out(`job ${job.name}: ${job.healthy}/${job.wanted} replicas healthy${job.state === 'healthy' ? held : ''}`);
      return job;
    }
    const broken = whyBroken(job);
    if (broken) throw notHealthy(job, broken);
    const rollout = job.evaluation?.jobVersion === job.version ? job.evaluation.rollout : undefined;
    if (rollout?.state === 'failed') throw notHealthy(job, `the rollout of version ${job.version} failed${rollout.message ? `: ${rollout.message}` : ''}`);
    // Unplaced replicas with nothing else moving will not place themselves: say why and stop waiting.
    const moving = job.allocations.some((a) => a.desired === 'run' && a.state === 'pending');
    unplacedSince = job.unplaced > 0 && !moving ? (unplacedSince ?? Date.now()) : undefined;
    if (unplacedSince !== undefined && Date.now() - unplacedSince >= UNPLACED_SETTLE_MS) {
      throw notHealthy(job, `${job.unplaced} of ${job.wanted} replicas cannot be placed`);
    }
    if (Date.now() >= deadline) throw notHealthy(job, `not healthy after ${timeoutMs / 1000}s`);
    waitMs = Math.min(deadline - Date.now(), MAX_WAIT_MS, untilTimeTells(job, unplacedSince));
    // An API without blocking queries (no index) is asked again after a short pause instead.
    if (!index) await new Promise((r) => setTimeout(r, Math.min(waitMs, 500)));
  }
}

/**
 * How long until the job's state may change with no write at all: a healthy replica passing
 * `update.minHealthy`, or unplaced replicas settling. Infinity when nothing is pending on time.
 */
export function untilTimeTells(job: JobDetail, unplacedSince: number | undefined, now = Date.now()): number {
  let ms = Infinity;
  if (unplacedSince !== undefined) ms = Math.min(ms, unplacedSince + UNPLACED_SETTLE_MS - now);
  const minHealthy = job.job.update.minHealthyMs;
  for (const a of job.allocations) {
    if (a.healthy && a.healthySince !== undefined && minHealthy) {
      const due = a.healthySince + minHealthy - now;
      if (due > 0) ms = Math.min(ms, due + 50);
    }
  }
  return Math.max(50, ms);
}

/**
 * A replica of the current version that will not turn healthy by waiting: crash-looping (failed
 * CRASH_LOOP_FAILURES times in a row: image pull failed, exits, OOM kills) or unhealthy (its check
 * has failed enough probes in a row to be critical). Its reason is the answer.
 */
export function whyBroken(job: JobDetail): string | undefined {
  const current = job.allocations.filter((a) => a.jobVersion === job.version);
  const looping = current.find((a) => (a.failures ?? 0) >= CRASH_LOOP_FAILURES);
  if (looping) return `${looping.instance} is crash-looping (${looping.failures} failures in a row): ${oneLine(looping.message ?? 'failed')}`;
  const sick = current.find((a) => a.desired === 'run' && a.status === 'unhealthy');
  if (sick) return `${sick.instance} is unhealthy: ${oneLine(sick.message ?? 'health check failing')}`;
  return undefined;
}

function notHealthy(job: JobDetail, why: string): CliError {
  return new CliError(`job ${job.name}: ${why}`, {
    lines: ['', ...statusText(job).split('\n')],
    hint: `The job stays submitted; follow it with \`maestro status ${job.name}\`, or change it and \`maestro run\` again.`,
  });
}
