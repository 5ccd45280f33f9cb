import { flagsOf, type FlagSpec, type RoleName } from '../config/index.js';

/** The flag column's width: `  --agent-addr HOST:PORT` and two spaces. */
const COLUMN = 26;

/** One flag as `--help` shows it: name and value, what it does with its default, its environment variable. */
function flagLines(f: FlagSpec): string {
  const head = `  --${f.name}${f.value ? ` ${f.value}` : ''}`;
  const lines = f.help.split('\n');
  if (f.env) lines[lines.length - 1] += ` [env ${f.env}]`;
  const first = head.length < COLUMN ? head.padEnd(COLUMN) + lines[0] : `${head}\n${' '.repeat(COLUMN)}${lines[0]}`;
  return [first, ...lines.slice(1).map((l) => ' '.repeat(COLUMN) + l)].join('\n');
}

/** The flags `role` takes, and nothing else: another role's flag is a usage error (src/config/argv.ts). */
export function roleFlagsHelp(role: RoleName): string {
  const native = role === 'up' || role === 'agent'
    ? '\nMAESTRO_NATIVE=0 serves DNS over UDP and the L4 relay with Node\'s sockets instead of the native\n' +
      'addons (native/README.md); the start-up line says which serve.'
    : '';
  return `Flags:\n${flagsOf(role).map(flagLines).join('\n')}\n` +
    'Durations read like 1m30s, 500ms or 2h. Port 0 picks a free port; the chosen addresses are logged\n' +
    `and written to <data-dir>/addresses.json.${native}`;
}

export function roleHelp(role: RoleName, usage: string, description: string, example: string): string {
  return `Usage: ${usage}\n\n${description}\n\n${roleFlagsHelp(role)}\n\nExample:\n  ${example}\n`;
}
