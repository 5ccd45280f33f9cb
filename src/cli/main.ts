#!/usr/bin/env node
/** The `maestro` executable: everything is in program.ts; this only hands over argv and the exit code. */
import { runCli } from './program.js';

// `maestro … | head`: a reader that closes early ends our output, as it does for any Unix tool;
// it is no crash (Node would otherwise throw an unhandled EPIPE from the next write).
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});

process.exitCode = await runCli(process.argv.slice(2));
