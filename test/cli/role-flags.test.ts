import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maestro } from './helpers.js';

describe('role flags, as the built CLI takes them', () => {
  it('--access-log: up and agent list it with its default and env var; a bad mode exits 2 naming the modes', async () => {
    for (const role of ['up', 'agent']) {
      const help = await maestro([role, '--help']);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /--access-log MODE[^\n]*off\|errors\|all \(default errors[\s\S]*MAESTRO_ACCESS_LOG/, role);
    }
    for (const [args, env] of [[['up', '--access-log', 'verbose'], {}], [['up'], { MAESTRO_ACCESS_LOG: 'verbose' }]] as const) {
      const r = await maestro([...args], env);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /--access-log: expected off\|errors\|all, got "verbose"/);
    }
  });
});
