/** Exit codes (README.md, "CLI"): 0 ok, 1 failure, 2 usage error. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/**
 * What a verb throws to end with an error: the message, what to do next (`hint`), and any
 * detail lines (every problem of an invalid spec). The CLI, not the components, decides the words.
 */
export class CliError extends Error {
  readonly exitCode: number;
  readonly hint?: string;
  readonly lines: string[];
  constructor(message: string, opts: { exitCode?: number; hint?: string; lines?: string[] } = {}) {
    super(message);
    this.name = 'CliError';
    this.exitCode = opts.exitCode ?? EXIT.failure;
    this.hint = opts.hint;
    this.lines = opts.lines ?? [];
  }
}

export function usageError(message: string, hint?: string): CliError {
  return new CliError(message, { exitCode: EXIT.usage, hint });
}
