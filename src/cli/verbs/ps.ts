import type { Command } from 'commander';
import type { AllocView } from '../../api/index.js';
import { clientVerb, example, selectorParam, withClient, type ClientOptions } from '../options.js';
import { age, out, printJson, table } from '../table.js';

export function registerPs(program: Command): void {
  example(
    clientVerb(program.command('ps').argument('[job]', 'only this job').description('list replicas (allocations): where they run and their health'), {
      selector: true,
    }),
    'maestro ps',
    'maestro ps redis --json',
    'maestro ps -l tier=frontend',
  ).action((job: string | undefined, opts: ClientOptions) =>
    withClient(opts, async (client) => {
      const { allocations } = await client.get<{ allocations: AllocView[] }>('/v1/allocations', {
        job,
        selector: selectorParam(opts.selector),
      });
      if (opts.json) return printJson(allocations);
      out(allocations.length ? allocTable(allocations) : 'No replicas.');
    }),
  );
}

export function allocTable(allocs: AllocView[]): string {
  const rows = allocs.map((a) => [
    a.instance,
    a.job,
    a.host,
    // Words a user reads (starting, running, unhealthy, failed, stopping, stopped); older servers: state.
    a.status ?? a.state,
    a.healthy ? 'yes' : 'no',
    String(a.jobVersion),
    age(a.createdAt),
    oneLine(a.message ?? ''),
  ]);
  return table(['INSTANCE', 'JOB', 'HOST', 'STATE', 'HEALTHY', 'VERSION', 'AGE', 'REASON'], rows);
}

/** Most of a reason shown in a table cell; `maestro status JOB` shows all of it. */
const CELL_MAX = 160;

/** A reason on one line (the lines of a container's output joined by ` | `), cut at CELL_MAX. */
export function oneLine(text: string): string {
  const flat = text.replace(/;? last output:\n/, ': ').split('\n').map((l) => l.trim()).filter(Boolean).join(' | ');
  return flat.length > CELL_MAX ? `${flat.slice(0, CELL_MAX - 1)}…` : flat;
}
