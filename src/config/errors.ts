/** A bad flag or value: the CLI prints it with a hint and exits 2. */
export class ConfigError extends Error {
  readonly code = 'usage';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
