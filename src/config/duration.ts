import { ConfigError } from './errors.js';

/**
 * The one duration grammar of Maestro, for flags, environment variables, query strings
 * (`wait=30s`), job specs and CLI verbs alike: Go's `time.ParseDuration` without its micro- and
 * nanoseconds. One or more `<number><unit>` parts, units `h`, `m`, `s`, `ms`, decimals allowed:
 * `500ms`, `1.5s`, `1m30s`, `2h`. A string needs a unit, except `0` (as in Go: a bare `30` could
 * mean seconds or milliseconds, so it means neither). A JSON/YAML number is milliseconds, as job
 * specs have always taken it.
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/y;

/** An example for error messages, so every "bad duration" says the same thing. */
export const DURATION_EXAMPLES = '1m30s, 500ms or 2h';

/** Milliseconds, or undefined when `value` is not a duration. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
  if (typeof value !== 'string') return undefined;
  // No trimming: a job spec's `"5s "` is a typo worth reporting, and a shell strips flags' spaces.
  const text = value;
  if (text === '0') return 0;
  if (text === '') return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const m = PART.exec(text);
    if (!m || m.index !== start) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
  }
  return Number.isFinite(total) ? Math.round(total) : undefined;
}

/** The longest a timer can wait in Node (setTimeout's 2^31-1 ms, about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A duration given on a command line or in an environment variable: milliseconds, or a
 * ConfigError naming `flag`, with an example. `max` defaults to what a timer can wait.
 */
export function durationFlag(flag: string, text: string, max = MAX_TIMER_MS): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new ConfigError(`${flag}: expected a duration like ${DURATION_EXAMPLES}, got "${text}"`);
  if (ms > max) throw new ConfigError(`${flag}: "${text}" is longer than the most it takes, ${formatDuration(max)}`);
  return ms;
}

/** The shortest exact spelling: `2h`, `90s` → `90s`, `1500ms`. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1_000 === 0 && ms > 0) return `${ms / 1_000}s`;
  return `${ms}ms`;
}
