import { pino, destination, type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LogOptions {
  level?: string;
  /**
   * `pretty` (pino-pretty, for people), `json` (JSON lines, for collectors), or `auto`, the default:
   * pretty when the destination is a terminal, JSON otherwise, as Docker's and kubectl's output does.
   */
  format?: 'auto' | 'pretty' | 'json';
  /** Where logs go; stderr by default so stdout stays for command output. */
  destination?: number;
  /** Whether the destination is a terminal; asked of the process's stderr when not given. */
  isTTY?: boolean;
}

/** Whether `opts` asks for pretty output, `auto` deciding by the terminal. */
export function wantsPretty(opts: LogOptions): boolean {
  const format = opts.format ?? 'auto';
  if (format !== 'auto') return format === 'pretty';
  const fd = opts.destination ?? 2;
  return opts.isTTY ?? (fd === 2 ? process.stderr.isTTY === true : fd === 1 ? process.stdout.isTTY === true : false);
}

/** The root logger. Components take `root.child({ component: 'dns' })` and never create their own. */
export function createLogger(opts: LogOptions = {}): Logger {
  const level = opts.level ?? process.env.MAESTRO_LOG_LEVEL ?? 'info';
  if (wantsPretty(opts)) {
    return pino({ level, transport: { target: 'pino-pretty', options: { destination: opts.destination ?? 2 } } });
  }
  return pino({ level, base: { pid: process.pid } }, destination({ fd: opts.destination ?? 2, sync: false }));
}

/** A logger that drops everything: the default in tests and pure code paths. */
export const silentLogger: Logger = pino({ level: 'silent' });

export function componentLogger(root: Logger, component: string): Logger {
  return root.child({ component });
}
