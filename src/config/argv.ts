import { parseArgs } from 'node:util';
import { ConfigError } from './errors.js';
import { flagSpec, flagsOf, parseOptionsOf, rolesOf, type RoleName } from './flags.js';

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

/**
 * Parses a role's command line: only the flags that role takes. A flag of another role is a usage
 * error saying which roles take it and why this one does not; an unknown flag suggests the
 * nearest of the role's own. Every other problem (a missing value, a stray argument) is
 * parseArgs' own message.
 */
export function parseRoleArgv(role: RoleName, argv: string[]): FlagValues {
  const { tokens } = parseArgs({ args: argv, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const dashes = token.rawName.startsWith('--') ? '--' : '-';
    const spec = dashes === '--' ? flagSpec(token.name) : undefined;
    if (spec && flagsOf(role).includes(spec)) continue;
    if (spec) throw new ConfigError(notOfRole(role, token.rawName, spec));
    throw new ConfigError(unknownFlag(role, token.rawName));
  }
  try {
    return parseArgs({ args: argv, options: parseOptionsOf(role), strict: true, allowPositionals: false }).values as FlagValues;
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

function notOfRole(role: RoleName, raw: string, spec: NonNullable<ReturnType<typeof flagSpec>>): string {
  const { roles, lacks } = rolesOf(spec);
  const names = roles.map((r) => `\`${r}\``);
  const takers = names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names[0];
  return `${raw} is not a flag of \`maestro ${role}\` (it ${lacks}); ${takers} take${names.length > 1 ? '' : 's'} it`;
}

function unknownFlag(role: RoleName, raw: string): string {
  const typed = raw.replace(/^-+/, '');
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const f of flagsOf(role)) {
    const d = editDistance(typed, f.name);
    if (d < bestDistance) [best, bestDistance] = [f.name, d];
  }
  // Close enough to be a typo: as git and commander suggest, at most a third of the name off.
  const near = best !== undefined && bestDistance <= Math.max(2, Math.floor(typed.length / 3));
  return `unknown flag ${raw} for \`maestro ${role}\`` + (near ? `; did you mean --${best}?` : '');
}

/** Levenshtein distance, with a transposition as one edit (Damerau, optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
