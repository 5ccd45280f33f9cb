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
    // A replica being stopped still shows, marked, until its agent has removed it.
    a.desired === 'stop' ? `${a.state} (stopping)` : a.state,
    a.healthy ? 'yes' : 'no',
    String(a.jobVersion),
    age(a.createdAt),
    a.message ?? '',
  ]);
  return table(['INSTANCE', 'JOB', 'HOST', 'STATE', 'HEALTHY', 'VERSION', 'AGE', 'MESSAGE'], rows);
}
