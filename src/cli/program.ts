import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { CliError, EXIT } from './errors.js';
import { registerRoleCommands } from './roles.js';
import { registerClusterVerbs } from './verbs/cluster.js';
import { registerJobVerbs } from './verbs/jobs.js';
import { registerLifecycleVerbs } from './verbs/lifecycle.js';
import { registerLogs } from './verbs/logs.js';
import { registerPs } from './verbs/ps.js';
import { registerResolve } from './verbs/resolve.js';
import { registerRun } from './verbs/run.js';
import { registerVolumes } from './verbs/volumes.js';

/** The command tree for `argv`: client verbs, then the process roles (when `argv` may need them). */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('maestro')
    .description('Service discovery and scheduling for Docker on many hosts.')
    .version(version(), '-V, --version')
    .showHelpAfterError('(add --help for usage)')
    // Throw instead of exiting, so every way out goes through runCli's exit codes.
    .exitOverride()
    .addHelpText(
      'after',
      '\nStart with `maestro up` (one host), then `maestro run FILE`. Every command takes --help.\n' +
        'Environment: MAESTRO_ADDR (API URL), MAESTRO_API_TOKEN, MAESTRO_DNS_ADDR; each role\'s --help\n' +
        'names its own (README.md, "Environment", lists them all).\n',
    );
  registerRun(program);
  registerJobVerbs(program);
  registerPs(program);
  registerLogs(program);
  registerLifecycleVerbs(program);
  registerClusterVerbs(program);
  registerResolve(program);
  registerVolumes(program);
  await registerRoleCommands(program, argv);
  return program;
}

/** Runs the CLI on `argv` (without node and script); resolves the exit code, never throws. */
export async function runCli(argv: string[]): Promise<number> {
  try {
    const program = await buildProgram(argv);
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    return report(err);
  }
}

function report(err: unknown): number {
  if (err instanceof CommanderError) {
    // Commander has printed the message (or the help) already.
    return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? EXIT.ok : EXIT.usage;
  }
  if (err instanceof CliError) {
    if (err.message) process.stderr.write(`error: ${err.message}\n`);
    for (const line of err.lines) process.stderr.write(`${line}\n`);
    if (err.hint) process.stderr.write(`${err.hint}\n`);
    return err.exitCode;
  }
  // Components' typed errors: `usage` (bad flags of a role) is the user's to fix.
  const code = (err as { code?: unknown })?.code;
  process.stderr.write(`error: ${(err as Error)?.message ?? String(err)}\n`);
  return code === 'usage' ? EXIT.usage : EXIT.failure;
}

/** The package version, from the package.json above this file (dist/ and per-helper builds alike). */
function version(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'maestro' && pkg.version) return pkg.version;
    } catch {
      // not here; look one level up
    }
  }
  return '0.0.0';
}
