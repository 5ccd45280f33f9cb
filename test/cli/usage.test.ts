import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closedPort, maestro, tempFile } from './helpers.js';

describe('CLI usage and failures', () => {
  it('usage errors exit 2 and say what is wrong', async () => {
    const cases: [string[], RegExp][] = [
      [['jobs', '--bogus'], /unknown option '--bogus'/],
      [['status'], /missing required argument 'job'/],
      [['scale', 'redis', 'lots'], /count must be a whole number/],
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['jobs', '-l', 'tier in (a'], /-l: selector "tier in \(a"/],
      [['run', '/nonexistent/job.yaml'], /cannot read \/nonexistent\/job\.yaml: ENOENT/],
      [['run', 'x.yaml', '--timeout', 'soon'], /--timeout: expected a duration/],
      [['jobs', '--api', 'ftp://x'], /must be an http\(s\) URL/],
      [['resolve', 'web', 'MX'], /unsupported record type "MX"/],
      [[], /Usage: maestro/],
    ];
    for (const [args, re] of cases) {
      const r = await maestro(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
    }
  });

  it('an unreachable API exits 1 and says how to start it', async () => {
    const port = await closedPort();
    const file = tempFile('j.yaml', 'name: j\nimage: busybox\n');
    for (const args of [['jobs'], ['ps'], ['run', file], ['status', 'x'], ['hosts'], ['services']]) {
      const r = await maestro(args, { MAESTRO_ADDR: `http://127.0.0.1:${port}` });
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.stderr, new RegExp(`cannot reach the Maestro API at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`));
      assert.match(r.stderr, /Is `maestro up` running\? Start it with `maestro up`/);
    }
  });

  it('every verb has --help with an example', async () => {
    for (const verb of ['run', 'stop', 'scale', 'jobs', 'ps', 'status', 'history', 'services', 'hosts', 'resolve']) {
      const r = await maestro([verb, '--help']);
      assert.equal(r.code, 0, verb);
      assert.match(r.stdout, new RegExp(`Usage: maestro ${verb}`));
      assert.match(r.stdout, /Examples?:\n  \$ maestro /, verb);
    }
    const top = await maestro(['--help']);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /Commands:[\s\S]*run[\s\S]*resolve/);
    assert.match((await maestro(['--version'])).stdout, /^\d+\.\d+\.\d+\n$/);
  });
});
