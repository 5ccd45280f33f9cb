import type { Command } from 'commander';
import type { HostView, ServiceView } from '../../api/index.js';
import { clientVerb, example, selectorParam, withClient, type ClientOptions } from '../options.js';
import { labelsText, out, printJson, table } from '../table.js';

/** `services` and `hosts`. */
export function registerClusterVerbs(program: Command): void {
  example(
    clientVerb(program.command('services').description('list services with their instances and health'), { selector: true }),
    'maestro services',
    'maestro services -l job=redis --json',
  ).action((opts: ClientOptions) =>
    withClient(opts, async (client) => {
      const { services } = await client.get<{ services: ServiceView[] }>('/v1/services', { selector: selectorParam(opts.selector) });
      if (opts.json) return printJson(services);
      // One row per instance, the service on every row, so the output greps and sorts well.
      const rows = services.flatMap((s) =>
        s.instances.map((i) => [s.name, `${s.healthy}/${s.total}`, i.name, `${i.address}:${i.port}`, i.host, i.health, i.tags.join(',')]),
      );
      out(rows.length ? table(['SERVICE', 'HEALTHY', 'INSTANCE', 'ADDRESS', 'HOST', 'HEALTH', 'TAGS'], rows) : 'No services.');
    }),
  );

  example(clientVerb(program.command('hosts').description('list hosts with their capacity and what is allocated on them')), 'maestro hosts').action(
    (opts: ClientOptions) =>
      withClient(opts, async (client) => {
        const { hosts } = await client.get<{ hosts: HostView[] }>('/v1/hosts');
        if (opts.json) return printJson(hosts);
        const rows = hosts.map((h) => [
          h.name,
          h.address,
          h.alive ? 'alive' : 'down',
          `${h.used.cpu}/${h.capacity.cpu}m`,
          `${h.used.memory}/${h.capacity.memory}Mi`,
          String(h.allocations),
          labelsText(h.meta),
        ]);
        out(rows.length ? table(['NAME', 'ADDRESS', 'STATUS', 'CPU', 'MEMORY', 'ALLOCS', 'META'], rows) : 'No hosts.');
      }),
  );
}
