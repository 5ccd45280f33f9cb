import type { Command } from 'commander';
import type { AllocView, JobDetail, JobSummary } from '../../api/index.js';
import { usageError } from '../errors.js';
import { clientVerb, example, selectorParam, withClient, type ClientOptions } from '../options.js';
import { age, labelsText, out, printJson, table } from '../table.js';
import { allocTable } from './ps.js';

/** `jobs`, `status`, `history`, `stop`, `scale`. */
export function registerJobVerbs(program: Command): void {
  example(
    clientVerb(program.command('jobs').description('list jobs and their health'), { selector: true }),
    'maestro jobs',
    'maestro jobs -l tier=backend --json',
  ).action((opts: ClientOptions) =>
    withClient(opts, async (client) => {
      const { jobs } = await client.get<{ jobs: JobSummary[] }>('/v1/jobs', { selector: selectorParam(opts.selector) });
      if (opts.json) return printJson(jobs);
      const rows = jobs.map((j) => [
        j.name,
        j.state,
        `${j.healthy}/${j.wanted}`,
        String(j.unplaced),
        String(j.version),
        j.images.join(','),
        labelsText(j.labels),
        age(j.submittedAt),
      ]);
      out(rows.length ? table(['NAME', 'STATE', 'HEALTHY', 'UNPLACED', 'VERSION', 'IMAGES', 'LABELS', 'AGE'], rows) : 'No jobs.');
    }),
  );

  example(
    clientVerb(program.command('status').argument('<job>', 'job name').description('show a job: allocations, health, and why replicas are unplaced')),
    'maestro status redis',
  ).action((name: string, opts: ClientOptions) =>
    withClient(opts, async (client) => {
      const { job } = await client.get<{ job: JobDetail }>(`/v1/jobs/${encodeURIComponent(name)}`);
      if (opts.json) return printJson(job);
      out(statusText(job));
    }),
  );

  example(
    clientVerb(program.command('history').argument('<job>', 'job name').description('list the versions of a job')),
    'maestro history redis',
  ).action((name: string, opts: ClientOptions) =>
    withClient(opts, async (client) => {
      type Version = { version: number; submittedAt: number; note?: string; job: JobDetail['job'] };
      const { versions } = await client.get<{ versions: Version[] }>(`/v1/jobs/${encodeURIComponent(name)}/history`);
      if (opts.json) return printJson(versions);
      const rows = versions.map((v) => [
        String(v.version),
        new Date(v.submittedAt).toISOString(),
        v.job.global ? 'global' : String(v.job.count),
        v.job.containers.map((c) => c.image).join(','),
        v.note ?? '',
      ]);
      out(table(['VERSION', 'SUBMITTED', 'COUNT', 'IMAGES', 'NOTE'], rows));
    }),
  );

  example(
    clientVerb(program.command('stop').argument('<job>', 'job name').description('stop a job (its history is kept)')),
    'maestro stop redis',
  ).action((name: string, opts: ClientOptions) =>
    withClient(opts, async (client) => {
      const { job } = await client.call<{ job: JobDetail }>('DELETE', `/v1/jobs/${encodeURIComponent(name)}`);
      if (opts.json) return printJson(job);
      out(`job ${job.name} stopped (${job.allocations.filter((a) => a.desired === 'run').length} replicas still to stop)`);
    }),
  );

  example(
    clientVerb(program.command('scale').argument('<job>', 'job name').argument('<count>', 'replicas wanted').description('change the replica count of a job')),
    'maestro scale redis 5',
  ).action((name: string, countText: string, opts: ClientOptions) =>
    withClient(opts, async (client) => {
      const count = Number(countText);
      if (!/^\d+$/.test(countText) || !Number.isSafeInteger(count)) throw usageError(`scale: count must be a whole number, got "${countText}"`);
      const { job } = await client.call<{ job: JobDetail }>('POST', `/v1/jobs/${encodeURIComponent(name)}/scale`, JSON.stringify({ count }));
      if (opts.json) return printJson(job);
      out(`job ${job.name} scaled to ${job.wanted} (${job.healthy} healthy now); follow with \`maestro status ${job.name}\``);
    }),
  );
}

export function statusText(job: JobDetail): string {
  const lines = [
    `Job:       ${job.name} (version ${job.version})`,
    `State:     ${job.state}: ${job.healthy}/${job.wanted} healthy, ${job.running} running, ${job.unplaced} unplaced`,
    `Images:    ${job.images.join(', ')}`,
    `Labels:    ${labelsText(job.labels)}`,
    `Submitted: ${age(job.submittedAt)} ago`,
  ];
  const rollout = job.evaluation?.rollout;
  if (rollout) lines.push(`Rollout:   ${rollout.state}${rollout.message ? `: ${rollout.message}` : ''}`);
  lines.push('', 'Allocations:');
  lines.push(job.allocations.length ? allocTable(job.allocations).trimEnd() : '  none');
  const withEvents = job.allocations.filter((a) => a.events?.length);
  if (withEvents.length) lines.push('', 'Recent events:', ...withEvents.flatMap(eventLines));
  if (job.unplacedReasons.length) {
    lines.push('', 'Unplaced:');
    for (const f of job.unplacedReasons) lines.push(`  ${f.message}`);
  }
  // Crash-looping replicas waiting out their back-off: say when the next attempt comes.
  const delayed = job.evaluation?.jobVersion === job.version ? (job.evaluation.delayed ?? []) : [];
  if (delayed.length) {
    lines.push('', 'Restarting:');
    for (const d of delayed) {
      const wait = Math.max(0, Math.ceil((d.rescheduleAt - Date.now()) / 1000));
      lines.push(`  ${d.instance} crash-looping: ${d.failures} failures, waiting to restart: next attempt ${wait > 0 ? `in ${wait}s` : 'now'}`);
    }
  }
  // Replicas moved off a lost host: their named volumes (their data) are still on that host.
  const left = job.evaluation?.volumesLeftBehind ?? [];
  if (left.length) lines.push('', 'Volumes left behind:', ...left.map((note) => `  ${note}`));
  return lines.join('\n');
}

/** One replica's events with their times (as `nomad alloc status` lists task events), oldest first. */
function eventLines(a: AllocView): string[] {
  const head = `  ${a.instance} (${a.id} on ${a.host}, ${a.status ?? a.state}):`;
  const rows = a.events.map((e) => {
    const when = `${new Date(e.at).toISOString().replace(/\.\d+Z$/, 'Z')} (${age(e.at)} ago)`;
    const [first = '', ...more] = e.message.split('\n');
    return [`    ${when}  ${e.type.padEnd(17)} ${first}`, ...more.map((l) => `${' '.repeat(4 + when.length + 2 + 18)}${l}`)].join('\n');
  });
  return [head, ...rows];
}
