import type { Command } from 'commander';
import type { VolumeView } from '../../api/routes/volumes.js';
import { ApiCallError } from '../client.js';
import { CliError, usageError } from '../errors.js';
import { clientVerb, example, withClient, type ClientOptions } from '../options.js';
import { age, out, printJson, table } from '../table.js';

interface LsOptions extends ClientOptions {
  job?: string;
  host?: string;
}

interface Removed {
  host: string;
  volume: string;
  result: 'removed' | 'missing';
}

/** `volumes ls` and `volumes rm`: replica volumes, which Maestro keeps until asked to remove them. */
export function registerVolumes(program: Command): void {
  const volumes = example(
    program.command('volumes').description("list or remove replicas' named volumes (kept across restarts, removed only on request)"),
    'maestro volumes ls --job redis',
    'maestro volumes rm redis 0 data',
  );

  example(
    clientVerb(volumes.command('ls').description('list named volumes: the replica, its host, and whether a placed replica uses it'))
      .option('--job <job>', 'only the volumes of this job')
      .option('--host <host>', 'only the volumes on this host'),
    'maestro volumes ls',
    'maestro volumes ls --job redis --host node-1 --json',
  ).action((opts: LsOptions) =>
    withClient(opts, async (client) => {
      const { volumes: list } = await client.get<{ volumes: VolumeView[] }>('/v1/volumes', { job: opts.job, host: opts.host });
      if (opts.json) return printJson(list);
      const rows = list.map((v) => [v.volume, v.instance, v.name, v.host, v.copy, v.usedBy ? `yes (${v.usedBy})` : 'no', age(v.since)]);
      out(rows.length ? table(['VOLUME', 'INSTANCE', 'NAME', 'HOST', 'COPY', 'IN USE', 'AGE'], rows) : 'No volumes.');
    }),
  );

  example(
    clientVerb(
      volumes
        .command('rm')
        .argument('<job>', 'job name')
        .argument('<ordinal>', "the replica's ordinal (0 for redis-0)")
        .argument('<name>', "the volume's name in the job spec")
        .description('remove a replica\'s named volume from every host holding it (refused while that replica is placed)'),
    ),
    'maestro stop redis && maestro volumes rm redis 0 data',
  ).action((job: string, ordinal: string, name: string, opts: ClientOptions) =>
    withClient(opts, async (client) => {
      if (!/^\d{1,6}$/.test(ordinal)) throw usageError(`volumes rm: ordinal must be a whole number (0 for ${job}-0), got "${ordinal}"`);
      const path = `/v1/volumes/${[job, ordinal, name].map(encodeURIComponent).join('/')}`;
      let removed: Removed[];
      try {
        ({ removed } = await client.call<{ removed: Removed[] }>('DELETE', path));
      } catch (err) {
        // 409 here is a replica still using the volume, not the job changing under a write.
        if (err instanceof ApiCallError && err.code === 'conflict') throw new CliError(err.message, { hint: `\`maestro ps ${job}\` shows where its replicas are placed.` });
        throw err;
      }
      if (opts.json) return printJson(removed);
      for (const r of removed) out(r.result === 'removed' ? `removed volume ${r.volume} on ${r.host}` : `volume ${r.volume} was already gone on ${r.host}`);
    }),
  );
}
