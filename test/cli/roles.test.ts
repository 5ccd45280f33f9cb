import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { addRole } from '../../src/cli/index.js';

describe('CLI role registration', () => {
  it('hands a role its raw flags, untouched by commander', async () => {
    const seen: string[][] = [];
    const program = new Command('maestro').exitOverride();
    addRole(program, { name: 'up', summary: 'run everything', help: 'Usage: maestro up [flags]', run: async (argv) => void seen.push(argv) });
    await program.parseAsync(['up', '--data-dir', '/tmp/x', '--meta', 'disk=ssd', '--unknown-to-commander'], { from: 'user' });
    assert.deepEqual(seen, [['--data-dir', '/tmp/x', '--meta', 'disk=ssd', '--unknown-to-commander']]);
  });

  it('turns a non-zero result into a silent error carrying the exit code', async () => {
    const program = new Command('maestro').exitOverride();
    addRole(program, { name: 'agent', summary: 's', help: 'h', run: async () => 3 });
    await assert.rejects(program.parseAsync(['agent'], { from: 'user' }), (err: { exitCode: number; message: string }) => {
      assert.equal(err.exitCode, 3);
      assert.equal(err.message, '');
      return true;
    });
  });
});
