import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closedPort, maestro, tempFile } from './helpers.js';

describe('verbs take the one duration grammar', () => {
  it('1m30s is a duration for every verb that takes one; a bad one names the flag, exit 2', async () => {
    const api = `http://127.0.0.1:${await closedPort()}`;
    const file = tempFile('j.yaml', 'name: j\nimage: busybox\n');
    const verbs = [
      ['run', file, '--timeout', '1m30s'],
      ['rollback', 'j', '--wait', '--timeout', '1m30s'],
      ['restart', 'j', '--wait', '--timeout', '1.5s'],
      ['logs', 'j-0', '--since', '1m30s'],
    ];
    for (const args of verbs) {
      // The duration is accepted: the verb gets as far as the (closed) API, exit 1.
      const r = await maestro([...args, '--api', api]);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /cannot reach the Maestro API|Is `maestro up` running/, args.join(' '));
      const bad = await maestro([...args.slice(0, -1), '90', '--api', api]);
      assert.equal(bad.code, 2, `${args.join(' ')} → 90: ${bad.stderr}`);
      assert.match(bad.stderr, new RegExp(`${args.at(-2)}: expected a duration [^\\n]*1m30s`), args.join(' '));
    }
  });
});

describe('output to a reader that closes early', () => {
  it('`maestro … --help | head -1` ends quietly (no unhandled EPIPE)', async () => {
    const { spawn } = await import('node:child_process');
    const { CLI } = await import('./helpers.js');
    for (const args of [['volumes', 'rm', '--help'], ['--help'], ['up', '--help']]) {
      // A shell pipeline into `head -1`: head exits after one line, closing the pipe.
      const child = spawn('sh', ['-c', `"${process.execPath}" "${CLI}" ${args.join(' ')} | head -c 1 >/dev/null`], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdout.resume();
      await new Promise((resolve) => child.on('close', resolve));
      assert.doesNotMatch(stderr, /EPIPE|Unhandled/, `${args.join(' ')}: ${stderr}`);
    }
  });
});
