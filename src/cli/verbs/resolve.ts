import type { AnyRecord } from 'node:dns';
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Option, type Command } from 'commander';
import { DEFAULTS, formatHostPort, parseHostPort } from '../../config/index.js';
import { CliError, usageError } from '../errors.js';
import { example } from '../options.js';
import { out, printJson, table } from '../table.js';

interface ResolveOptions {
  dns: string;
  zone: string;
  type?: string;
  json?: boolean;
}

/**
 * Exactly the types the cluster DNS server answers with records (src/dns/README.md): addresses,
 * SRV, the zone's SOA and NS, PTR in the reverse zones, and ANY. Any other type gets NODATA
 * from the server, so asking for it would only ever print nothing.
 */
export const RESOLVE_TYPES = ['A', 'AAAA', 'SRV', 'PTR', 'SOA', 'NS', 'ANY'] as const;
type RecordType = (typeof RESOLVE_TYPES)[number];

export function registerResolve(program: Command): void {
  example(
    program
      .command('resolve')
      .argument('<name>', 'a name in the cluster zone (a bare service name means <name>.service.<zone>), or an IPv4 address for PTR')
      .argument('[type]', 'the record type, as with --type')
      .description('ask the cluster DNS server directly (no system resolver, no cache)')
      .option('-t, --type <type>', `record type: ${RESOLVE_TYPES.join(', ')} (default A; PTR when NAME is an address)`)
      .addOption(new Option('--dns <addr>', 'the cluster DNS server').env('MAESTRO_DNS_ADDR').default(DEFAULTS.dnsAddr))
      .option('--zone <zone>', 'the cluster zone', DEFAULTS.zone)
      .option('--json', 'print JSON for scripts instead of a table'),
    'maestro resolve redis',
    'maestro resolve redis --type SRV',
    'maestro resolve kafka-0.kafka.service.cluster',
    'maestro resolve 172.17.0.5 --type PTR',
  ).action((name: string, typeText: string | undefined, opts: ResolveOptions) => resolve(name, typeText, opts));
}

/** The type asked for: `--type` or the positional TYPE (as dig takes it), not two different ones. */
function typeOf(nameText: string, positional: string | undefined, flag: string | undefined): RecordType {
  if (positional !== undefined && flag !== undefined && positional.toUpperCase() !== flag.toUpperCase()) {
    throw usageError(`resolve: two record types given, "${positional}" and --type ${flag}`, 'Give one, e.g. --type SRV.');
  }
  const text = flag ?? positional ?? (isIP(nameText) === 4 ? 'PTR' : 'A');
  const type = RESOLVE_TYPES.find((t) => t === text.toUpperCase());
  if (!type) {
    throw usageError(`resolve: unsupported record type "${text}": the cluster DNS server serves ${RESOLVE_TYPES.join(', ')}`,
      `e.g. maestro resolve ${nameText} --type SRV`);
  }
  return type;
}

/** The name to ask: a bare service name is in `service.<zone>`; an IPv4 address asked for PTR is its in-addr.arpa name. */
function nameOf(nameText: string, type: RecordType, zone: string): string {
  if (isIP(nameText) === 4) {
    if (type !== 'PTR') throw usageError(`resolve: ${nameText} is an address; ask for its name with --type PTR`);
    return `${nameText.split('.').reverse().join('.')}.in-addr.arpa`;
  }
  return nameText.includes('.') ? nameText.replace(/\.$/, '') : `${nameText}.service.${zone}`;
}

async function resolve(nameText: string, typeText: string | undefined, opts: ResolveOptions): Promise<void> {
  const type = typeOf(nameText, typeText, opts.type);
  let server: string;
  try {
    server = formatHostPort(parseHostPort('--dns', opts.dns, 53));
  } catch (err) {
    throw usageError((err as Error).message);
  }
  const name = nameOf(nameText, type, opts.zone.replace(/\.+$/, ''));
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
    case 'NS':
    case 'PTR': {
      const records = await (type === 'NS' ? r.resolveNs(name) : r.resolvePtr(name));
      return { records, rows: records.map((x) => [name, type, x]) };
    }
    case 'ANY': {
      const records = await r.resolveAny(name);
      return { records, rows: records.map((x) => [name, x.type, anyValue(x)]) };
    }
    case 'SOA': {
      const x = await r.resolveSoa(name);
      return { records: x, rows: [[name, x.nsname, x.hostmaster, String(x.serial), String(x.minttl)]] };
    }
  }
}

/** One record of an ANY answer as text: what dig prints after the type. */
function anyValue(x: AnyRecord): string {
  switch (x.type) {
    case 'A':
    case 'AAAA':
      return x.address;
    case 'SRV':
      return `${x.priority} ${x.weight} ${x.port} ${x.name}`;
    case 'SOA':
      return `${x.nsname} ${x.hostmaster} ${x.serial} ${x.refresh} ${x.retry} ${x.expire} ${x.minttl}`;
    case 'NS':
    case 'PTR':
    case 'CNAME':
      return x.value;
    default:
      return JSON.stringify(x);
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
