import type { Command } from 'commander';
import type { JobDetail } from '../../api/index.js';
import { durationFlag } from '../../config/duration.js';
import type { ApiClient } from '../client.js';
import { CliError, usageError } from '../errors.js';
import { clientVerb, example, withClient, type ClientOptions } from '../options.js';
import { out, printJson } from '../table.js';

interface LifecycleOptions extends ClientOptions {
  wait?: boolean;
  timeout: string;
}

const POLL_MS = 500;

/** `rollback` and `restart`: new versions from a job's own history, rolled out within its `update` settings. */
export function registerLifecycleVerbs(program: Command): void {
  example(
    withWait(
      clientVerb(
        program
          .command('rollback')
          .argument('<job>', 'job name')
          .argument('[version]', 'the version to return to (default: the newest earlier one that differs)')
          .description("submit an earlier version's spec as a new version (rolling, within the job's update settings)"),
      ),
    ),
    'maestro rollback web',
    'maestro rollback web 3 --wait',
  ).action((name: string, versionText: string | undefined, opts: LifecycleOptions) =>
    withClient(opts, async (client) => {
      const timeoutMs = waitTimeout(opts);
      let version: number | undefined;
      if (versionText !== undefined) {
        if (!/^\d{1,9}$/.test(versionText) || Number(versionText) < 1) throw usageError(`rollback: version must be a whole number from 1, got "${versionText}"`);
        version = Number(versionText);
      }
      const body = JSON.stringify(version === undefined ? {} : { version });
      const answer = await client.call<{ changed: boolean; target: number; job: JobDetail }>('POST', `/v1/jobs/${encodeURIComponent(name)}/rollback`, body);
      if (!opts.json) {
        out(answer.changed
          ? `job ${name}: rolling back to version ${answer.target}'s spec as version ${answer.job.version} (${rolling(answer.job)})`
          : `job ${name}: version ${answer.target}'s spec already runs (version ${answer.job.version}); nothing changed`);
      }
      const job = opts.wait && answer.changed ? await waitRolledOut(client, name, answer.job.version, timeoutMs, !opts.json) : answer.job;
      if (opts.json) printJson({ ...answer, job });
      else if (!opts.wait && answer.changed) out(`follow it with \`maestro status ${name}\``);
    }),
  );

  example(
    withWait(clientVerb(program.command('restart').argument('<job>', 'job name').description("replace every replica with a new container, rolling, within the job's update settings"))),
    'maestro restart web',
    'maestro restart web --wait --timeout 5m',
  ).action((name: string, opts: LifecycleOptions) =>
    withClient(opts, async (client) => {
      const timeoutMs = waitTimeout(opts);
      const answer = await client.call<{ job: JobDetail }>('POST', `/v1/jobs/${encodeURIComponent(name)}/restart`, '{}');
      if (!opts.json) out(`job ${name}: restarting as version ${answer.job.version} (${rolling(answer.job)})`);
      const job = opts.wait ? await waitRolledOut(client, name, answer.job.version, timeoutMs, !opts.json) : answer.job;
      if (opts.json) printJson({ job });
      else if (!opts.wait) out(`follow it with \`maestro status ${name}\``);
    }),
  );
}

function withWait(cmd: Command): Command {
  return cmd
    .option('-w, --wait', 'wait until every replica runs the new version and is healthy (exit 1 if the rollout fails)')
    .option('--timeout <duration>', 'how long --wait waits', '5m');
}

function waitTimeout(opts: LifecycleOptions): number {
  return durationFlag('--timeout', opts.timeout);
}

function rolling(job: JobDetail): string {
  return `${job.job.update.maxParallel} replica(s) at a time`;
}

/** Polls until the version is rolled out and healthy, the rollout failed, or time is up. */
async function waitRolledOut(client: ApiClient, name: string, version: number, timeoutMs: number, verbose: boolean): Promise<JobDetail> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const { job } = await client.get<{ job: JobDetail }>(`/v1/jobs/${encodeURIComponent(name)}`);
    if (job.version !== version) throw new CliError(`job ${name} changed to version ${job.version} while waiting for version ${version}`);
    const rollout = job.evaluation?.jobVersion === version ? job.evaluation.rollout : undefined;
    const line = `${job.healthy}/${job.wanted} healthy${rollout?.message ? `; ${rollout.message}` : ''}`;
    if (verbose && line !== last) out(`  ${line}`);
    last = line;
    const current = job.allocations.filter((a) => a.desired === 'run' && a.jobVersion === version && a.healthy).length;
    if (job.state === 'healthy' && current >= job.wanted) {
      if (verbose) out(`job ${name}: version ${version} rolled out, ${job.healthy}/${job.wanted} replicas healthy`);
      return job;
    }
    if (rollout?.state === 'failed') throw new CliError(`job ${name}: the rollout of version ${version} failed${rollout.message ? `: ${rollout.message}` : ''}`, { hint: `See \`maestro status ${name}\`.` });
    if (Date.now() >= deadline) throw new CliError(`job ${name}: version ${version} not rolled out after ${timeoutMs / 1000}s (${line})`, { hint: `See \`maestro status ${name}\`.` });
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
