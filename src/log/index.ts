import { pino, destination, type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LogOptions {
  level?: string;
  /** Human-readable output (pino-pretty); JSON otherwise. */
  pretty?: boolean;
  /** Where JSON lines go; stderr by default so stdout stays for command output. */
  destination?: number;
}

/** The root logger. Components take `root.child({ component: 'dns' })` and never create their own. */
export function createLogger(opts: LogOptions = {}): Logger {
  const level = opts.level ?? process.env.MAESTRO_LOG_LEVEL ?? 'info';
  if (opts.pretty) {
    return pino({ level, transport: { target: 'pino-pretty', options: { destination: opts.destination ?? 2 } } });
  }
  return pino({ level, base: { pid: process.pid } }, destination({ fd: opts.destination ?? 2, sync: false }));
}

/** A logger that drops everything: the default in tests and pure code paths. */
export const silentLogger: Logger = pino({ level: 'silent' });

export function componentLogger(root: Logger, component: string): Logger {
  return root.child({ component });
}
