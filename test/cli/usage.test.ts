import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROLE_NAMES, buildProgram } from '../../src/cli/index.js';
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
      [['resolve', 'web', 'MX'], /unsupported record type "MX": the cluster DNS server serves A, AAAA, SRV, PTR, SOA, NS, ANY/],
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
    for (const args of [['jobs'], ['run', file], ['status', 'x']]) {
      const r = await maestro(args, { MAESTRO_ADDR: `http://127.0.0.1:${port}` });
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.stderr, new RegExp(`cannot reach the Maestro API at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`));
      assert.match(r.stderr, /Is `maestro up` running\? Start it with `maestro up`/);
    }
  });

  it('every verb has --help with an example', async () => {
    // In-process for the whole tree (fast); the child process below checks the real executable.
    const program = await buildProgram();
    const verbs = program.commands.map((c) => c.name()).filter((n) => !ROLE_NAMES.includes(n));
    assert.deepEqual(verbs.sort(), ['history', 'hosts', 'jobs', 'logs', 'ps', 'resolve', 'restart', 'rollback', 'run', 'scale', 'services', 'status', 'stop', 'volumes']);
    for (const cmd of program.commands.filter((c) => verbs.includes(c.name()))) {
      let text = '';
      cmd.configureOutput({ writeOut: (s) => void (text += s) });
      cmd.outputHelp();
      assert.match(text, new RegExp(`Usage: maestro ${cmd.name()}`));
      assert.match(text, /Examples?:\n  \$ maestro /, cmd.name());
    }
    const r = await maestro(['scale', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: maestro scale \[options\] <job> <count>[\s\S]*Example:\n  \$ maestro scale redis 5/);
    const top = await maestro(['--help']);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /Commands:[\s\S]*run[\s\S]*resolve/);
    for (const role of ROLE_NAMES) assert.match(top.stdout, new RegExp(`\n  ${role} `), `role ${role} listed`);
    assert.match((await maestro(['--version'])).stdout, /^\d+\.\d+\.\d+\n$/);
  });
});
