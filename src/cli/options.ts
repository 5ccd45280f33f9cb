import { Option, type Command } from 'commander';
import { parseSelector } from '../api/selector.js';
import { ApiClient, DEFAULT_API } from './client.js';
import { usageError } from './errors.js';

/** The options every client verb takes. */
export interface ClientOptions {
  api: string;
  token?: string;
  json?: boolean;
  selector?: string;
}

/** Adds `--api`, `--token` and `--json` to a verb (per verb, so each `--help` lists them). */
export function clientVerb(cmd: Command, opts: { selector?: boolean; json?: boolean } = {}): Command {
  cmd.addOption(new Option('--api <url>', 'the Maestro API').env('MAESTRO_ADDR').default(DEFAULT_API));
  cmd.addOption(new Option('--token <token>', 'API bearer token (needed when the API is not on loopback)').env('MAESTRO_API_TOKEN'));
  if (opts.json !== false) cmd.option('--json', 'print JSON for scripts instead of a table');
  if (opts.selector) cmd.option('-l, --selector <selector>', 'label selector, e.g. tier=frontend,env!=dev,env in (a,b)');
  return cmd;
}

/** Runs `fn` with a client, closing its pool afterwards so the process exits promptly. */
export async function withClient<T>(opts: ClientOptions, fn: (client: ApiClient) => Promise<T>): Promise<T> {
  const client = new ApiClient(opts.api, opts.token);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/** Checks a `-l` selector locally (usage error, exit 2) and returns its text for `?selector=`. */
export function selectorParam(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    parseSelector(text);
  } catch (err) {
    throw usageError(`-l: ${(err as Error).message}`, 'Selectors look like tier=frontend,env!=dev,gpu,!legacy,env in (a,b).');
  }
  return text;
}

export function example(cmd: Command, ...lines: string[]): Command {
  return cmd.addHelpText('after', `\nExample${lines.length > 1 ? 's' : ''}:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`);
}
