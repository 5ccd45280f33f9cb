/**
 * The proxies' access log: which exchanges are logged (`off`, `errors`, `all`; per process from
 * `--access-log`, per service from the instance meta `access-log`, i.e. the container label
 * `maestro.access-log`), and how lines leave the process without costing the data path a syscall.
 *
 * A logged exchange only pushes its fields onto an array. A timer (every FLUSH_MS) or a full batch
 * (FLUSH_LINES) serialises the batch into pino's own line format and hands it to the logger's
 * destination in ONE write, so the lines interleave correctly with every other log line (same
 * stream, same order) and a burst of 10,000 requests costs a handful of writes, not 10,000. When
 * the destination cannot keep up, lines beyond MAX_PENDING are dropped and counted (HAProxy's
 * syslog over UDP drops too): logging must never hold the data path's memory without bound.
 */
import { symbols, type Logger } from 'pino';

export type AccessLogMode = 'off' | 'errors' | 'all';
const MODES: readonly AccessLogMode[] = ['off', 'errors', 'all'];

/** Instance meta key (from the container label `maestro.access-log`) that sets a service's mode. */
export const ACCESS_LOG_META = 'access-log';

const FLUSH_MS = 250;
const FLUSH_LINES = 512;
const MAX_PENDING = 20_000;

/** A meta value as a mode; anything else is ignored (the process default applies). */
export function parseAccessLogMode(text: string | undefined): AccessLogMode | undefined {
  const t = text?.trim().toLowerCase();
  return MODES.find((m) => m === t);
}

/** The most verbose mode any instance of a service asks for (deterministic whatever the order). */
export function serviceMode(values: Iterable<string | undefined>): AccessLogMode | undefined {
  let best = -1;
  for (const v of values) best = Math.max(best, MODES.indexOf(parseAccessLogMode(v) ?? ('' as AccessLogMode)));
  return best < 0 ? undefined : MODES[best];
}

interface Line {
  time: number;
  msg: string;
  fields: Record<string, unknown>;
}

interface Destination {
  write(chunk: string): unknown;
}

export class AccessLog {
  /** The mode of services that ask for none. */
  readonly defaultMode: AccessLogMode;
  /** Lines dropped because MAX_PENDING were waiting (the destination could not keep up). */
  dropped = 0;
  /** Writes made to the destination (one per batch). */
  writes = 0;
  #pending: Line[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #prefix: string;
  readonly #dest: Destination | undefined;

  /** `mode`: the process default; `log`: the proxy's logger (its level `info` must be enabled). */
  constructor(
    private readonly log: Logger,
    mode: AccessLogMode = 'errors',
  ) {
    this.defaultMode = mode;
    // At `warn` access lines would be dropped by the logger anyway: do not even build them.
    this.#enabled = log.isLevelEnabled('info');
    const syms = symbols as unknown as Record<string, symbol>;
    const raw = log as unknown as Record<symbol, unknown>;
    const dest = raw[syms.streamSym!] as Destination | undefined;
    this.#dest = typeof dest?.write === 'function' ? dest : undefined;
    this.#prefix = `"level":${log.levels.values.info}`;
    this.#chindings = String(raw[syms.chindingsSym!] ?? '');
  }

  readonly #chindings: string;
  readonly #enabled: boolean;

  /** Whether an exchange of a service with mode `mode` (undefined: the default) that `failed` is logged. */
  wants(mode: AccessLogMode | undefined, failed: boolean): boolean {
    if (!this.#enabled) return false;
    const m = mode ?? this.defaultMode;
    return m === 'all' || (m === 'errors' && failed);
  }

  /** Queues one line (an object push); written with the next batch. */
  add(msg: string, fields: Record<string, unknown>): void {
    if (this.#pending.length >= MAX_PENDING) {
      this.dropped++;
      return;
    }
    this.#pending.push({ time: Date.now(), msg, fields });
    if (this.#pending.length >= FLUSH_LINES) setImmediate(() => this.flush());
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.flush(), FLUSH_MS);
      this.#timer.unref();
    }
  }

  /** Writes every queued line in one write (also on stop, so nothing queued is lost). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const lines = this.#pending;
    if (lines.length === 0) return;
    this.#pending = [];
    if (this.#dest === undefined) {
      for (const l of lines) this.log.info(l.fields, l.msg);
      return;
    }
    let out = '';
    for (const l of lines) {
      const body = JSON.stringify(l.fields);
      out += `{${this.#prefix},"time":${l.time}${this.#chindings}${body.length > 2 ? `,${body.slice(1, -1)}` : ''},"msg":${JSON.stringify(l.msg)}}\n`;
    }
    this.writes++;
    this.#dest.write(out);
  }
}
