import { Resolver } from 'node:dns/promises';
import { Option, type Command } from 'commander';
import { DEFAULTS, formatHostPort, parseHostPort } from '../../config/index.js';
import { CliError, usageError } from '../errors.js';
import { example } from '../options.js';
import { out, printJson, table } from '../table.js';

interface ResolveOptions {
  dns: string;
  zone: string;
  json?: boolean;
}

const TYPES = ['A', 'AAAA', 'SRV', 'TXT', 'NS', 'SOA', 'CNAME'] as const;
type RecordType = (typeof TYPES)[number];

export function registerResolve(program: Command): void {
  example(
    program
      .command('resolve')
      .argument('<name>', 'a name in the cluster zone; a bare service name means <name>.service.<zone>')
      .argument('[type]', `record type: ${TYPES.join(', ')}`, 'A')
      .description('ask the cluster DNS server directly (no system resolver, no cache)')
      .addOption(new Option('--dns <addr>', 'the cluster DNS server').env('MAESTRO_DNS_ADDR').default(DEFAULTS.dnsAddr))
      .option('--zone <zone>', 'the cluster zone', DEFAULTS.zone)
      .option('--json', 'print JSON for scripts instead of a table'),
    'maestro resolve redis',
    'maestro resolve redis SRV',
    'maestro resolve kafka-0.kafka.service.cluster',
  ).action((name: string, typeText: string, opts: ResolveOptions) => resolve(name, typeText, opts));
}

async function resolve(nameText: string, typeText: string, opts: ResolveOptions): Promise<void> {
  const type = typeText.toUpperCase() as RecordType;
  if (!TYPES.includes(type)) throw usageError(`resolve: unsupported record type "${typeText}"`, `Use one of ${TYPES.join(', ')}.`);
  let server: string;
  try {
    server = formatHostPort(parseHostPort('--dns', opts.dns, 53));
  } catch (err) {
    throw usageError((err as Error).message);
  }
  const zone = opts.zone.replace(/\.+$/, '');
  const name = nameText.includes('.') ? nameText.replace(/\.$/, '') : `${nameText}.service.${zone}`;
  const resolver = new Resolver({ timeout: 2_000, tries: 2 });
  resolver.setServers([server]);
  let rows: string[][];
  let records: unknown;
  try {
    ({ rows, records } = await lookup(resolver, name, type));
  } catch (err) {
    throw dnsError(err as NodeJS.ErrnoException, name, type, server);
  }
  if (opts.json) return printJson({ name, type, records });
  out(table(headers(type), rows));
}

async function lookup(r: Resolver, name: string, type: RecordType): Promise<{ rows: string[][]; records: unknown }> {
  switch (type) {
    case 'A':
    case 'AAAA': {
      const records = await (type === 'A' ? r.resolve4(name, { ttl: true }) : r.resolve6(name, { ttl: true }));
      return { records, rows: records.map((x) => [name, type, String(x.ttl), x.address]) };
    }
    case 'SRV': {
      const records = await r.resolveSrv(name);
      return { records, rows: records.map((x) => [name, String(x.priority), String(x.weight), String(x.port), x.name]) };
    }
    case 'TXT': {
      const records = await r.resolveTxt(name);
      return { records, rows: records.map((x) => [name, 'TXT', x.join('')]) };
    }
    case 'NS':
    case 'CNAME': {
      const records = await (type === 'NS' ? r.resolveNs(name) : r.resolveCname(name));
      return { records, rows: records.map((x) => [name, type, x]) };
    }
    case 'SOA': {
      const x = await r.resolveSoa(name);
      return { records: x, rows: [[name, x.nsname, x.hostmaster, String(x.serial), String(x.minttl)]] };
    }
  }
}

function headers(type: RecordType): string[] {
  if (type === 'SRV') return ['NAME', 'PRIORITY', 'WEIGHT', 'PORT', 'TARGET'];
  if (type === 'SOA') return ['NAME', 'NS', 'HOSTMASTER', 'SERIAL', 'MINTTL'];
  if (type === 'A' || type === 'AAAA') return ['NAME', 'TYPE', 'TTL', 'ADDRESS'];
  return ['NAME', 'TYPE', 'VALUE'];
}

function dnsError(err: NodeJS.ErrnoException, name: string, type: string, server: string): CliError {
  switch (err.code) {
    case 'ENOTFOUND':
      return new CliError(`${name}: no such name (NXDOMAIN)`, { hint: 'List what exists with `maestro services`.' });
    case 'ENODATA':
      return new CliError(`${name}: the name exists but has no ${type} records (or no healthy instances)`, {
        hint: 'Check health with `maestro services`; try another type, e.g. SRV.',
      });
    case 'EREFUSED':
      return new CliError(`${name}: refused by ${server} (outside the cluster zone?)`);
    case 'ECONNREFUSED':
    case 'ETIMEOUT':
      return new CliError(`no answer from the cluster DNS server at ${server} (${err.code})`, {
        hint: 'Is `maestro up` running? Start it with `maestro up`, or point --dns / MAESTRO_DNS_ADDR at its --dns-addr.',
      });
    default:
      return new CliError(`${name}: DNS lookup failed at ${server} (${err.code ?? err.message})`);
  }
}
