import type { Command } from 'commander';
import { ROLE_NAMES as ROLES_OF_CONFIG } from '../config/flags.js';
import { CliError } from './errors.js';

/**
 * A long-running process role (`up`, `agent`, `server`, `registrar`). Roles parse their own flags
 * with `load(argv, env)` from src/config (so `up --help`, unknown flags and defaults live in one
 * place); the CLI only hands them their raw arguments.
 */
export interface Role {
  name: string;
  /** One line for `maestro --help`. */
  summary: string;
  /** What `maestro <role> --help` prints: flags, defaults, an example. */
  help: string;
  /** Runs until shutdown; resolves the exit code. Throw an error with code `usage` for bad flags (exit 2). */
  run(argv: string[]): Promise<number | void>;
}

/** Adds a role whose arguments pass through untouched (commander neither parses nor rejects them). */
export function addRole(program: Command, role: Role): Command {
  return program
    .command(role.name)
    .description(role.summary)
    .argument('[flags...]', 'see `maestro ' + role.name + ' --help`')
    .allowUnknownOption()
    .helpOption(false)
    .action(async (argv: string[]) => {
      if (argv.includes('--help') || argv.includes('-h')) {
        process.stdout.write(role.help.endsWith('\n') ? role.help : `${role.help}\n`);
        return;
      }
      const code = await role.run(argv);
      // A silent error carries a non-zero exit code out through the one exit path of the CLI.
      if (code) throw new CliError('', { exitCode: code });
    });
}

/** The role names, known without loading the roles themselves (src/config/flags.ts is light). */
export const ROLE_NAMES: readonly string[] = ROLES_OF_CONFIG;

/**
 * The registration point of the process roles (`up`, `agent`, `server`, `registrar`, from
 * src/roles). They import every component (Docker, DNS, proxies…), close to a second of CPU, so
 * they are loaded only when the command line may need them: to run one, or to list them in help
 * and suggestions. A client verb never pays for them.
 */
export async function registerRoleCommands(program: Command, argv: readonly string[]): Promise<void> {
  const verb = argv.find((a) => !a.startsWith('-'));
  const clientVerb = verb !== undefined && program.commands.some((c) => c.name() === verb);
  if (clientVerb && !ROLE_NAMES.includes(verb)) return;
  const { ROLES } = await import('../roles/index.js');
  for (const role of ROLES) addRole(program, role);
}
