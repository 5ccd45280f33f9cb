#!/usr/bin/env node
/** The `maestro` executable: everything is in program.ts; this only hands over argv and the exit code. */
import { runCli } from './program.js';

process.exitCode = await runCli(process.argv.slice(2));
