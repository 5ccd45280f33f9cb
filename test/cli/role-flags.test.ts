import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FLAGS, flagsOf, ROLE_NAMES } from '../../src/config/index.js';
import { maestro } from './helpers.js';

/** The flag names a `--help` text lists, in order. */
function listedFlags(help: string): string[] {
  return [...help.matchAll(/^ {2}--([a-z-]+)/gm)].map((m) => m[1]!);
}

describe('role flags, as the built CLI takes them', () => {
  it("each role's --help lists exactly its own flags, with their env vars", async () => {
    for (const role of ROLE_NAMES) {
      const help = await maestro([role, '--help']);
      assert.equal(help.code, 0, help.stderr);
      const own = flagsOf(role).map((f) => f.name);
      assert.ok(own.length > 5, role);
      assert.deepEqual(listedFlags(help.stdout), own, role);
      for (const f of flagsOf(role).filter((x) => x.env)) assert.match(help.stdout, new RegExp(`--${f.name} [^\\n]*(\\n {26}[^\\n]*)*\\[env ${f.env}\\]`), `${role} --${f.name}`);
    }
    // What the issue asked: server serves no DNS, registrar runs no proxies, agent serves no API.
    assert.ok(!flagsOf('server').some((f) => f.name === 'dns-addr'));
    assert.ok(!flagsOf('registrar').some((f) => f.name === 'http-addr'));
    assert.ok(!flagsOf('agent').some((f) => f.name === 'api-addr'));
    // Every flag belongs to some role; `up` runs every part, so it takes them all.
    assert.deepEqual(flagsOf('up').map((f) => f.name), FLAGS.map((f) => f.name));
  });

  it("another role's flag is a usage error (exit 2) naming the roles that take it", async () => {
    const cases: [string[], string][] = [
      [['server', '--dns-addr', '127.0.0.1:53'], "--dns-addr is not a flag of `maestro server` (it serves no DNS); `up` and `agent` take it"],
      [['agent', '--api-addr=0.0.0.0:4680'], '--api-addr is not a flag of `maestro agent` (it serves no API); `up` and `server` take it'],
      [['registrar', '--meta', 'disk=ssd'], '--meta is not a flag of `maestro registrar` (it runs no scheduled containers); `up` and `agent` take it'],
      [['server', '--docker-host', 'unix:///x'], '--docker-host is not a flag of `maestro server` (it talks to no Docker daemon); `up`, `agent` and `registrar` take it'],
      [['agent', '--host-down-grace', '1s'], '--host-down-grace is not a flag of `maestro agent` (it runs no scheduler); `up` and `server` take it'],
    ];
    for (const [args, message] of cases) {
      const r = await maestro(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.split('\n')[0], `maestro: ${message}`);
      assert.match(r.stderr, new RegExp(`See the flags with \`maestro ${args[0]} --help\``));
    }
  });

  it('an unknown flag suggests the nearest of the role\'s own, and only a near one', async () => {
    const cases: [string[], RegExp][] = [
      [['up', '--dns-adr', 'x'], /unknown flag --dns-adr for `maestro up`; did you mean --dns-addr\?/],
      [['server', '--api-adr', 'x'], /unknown flag --api-adr for `maestro server`; did you mean --api-addr\?/],
      [['agent', '--resnyc', '1s'], /did you mean --resync\?/],
      [['registrar', '--frobnicate'], /unknown flag --frobnicate for `maestro registrar`\n/],
      [['up', '-x'], /unknown flag -x for `maestro up`\n/],
      [['up', 'stray'], /Unexpected argument 'stray'/],
      [['up', '--dns-addr'], /--dns-addr <value>' argument missing/],
    ];
    for (const [args, re] of cases) {
      const r = await maestro(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
    }
  });

  it('--access-log: up and agent list it with its default and env var; a bad mode exits 2 naming the modes', async () => {
    for (const role of ['up', 'agent']) {
      const help = await maestro([role, '--help']);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /--access-log MODE[^\n]*off\|errors\|all \(default errors[^\n]*\[env MAESTRO_ACCESS_LOG\]/, role);
    }
    for (const [args, env] of [[['up', '--access-log', 'verbose'], {}], [['up'], { MAESTRO_ACCESS_LOG: 'verbose' }]] as const) {
      const r = await maestro([...args], env);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /--access-log: expected off\|errors\|all, got "verbose"/);
    }
  });

  it('durations on flags: one grammar, and an error naming the flag with an example', async () => {
    for (const args of [['up', '--resync', '30000'], ['server', '--host-down-grace', 'soon'], ['up', '--dns-ttl', '1.5s'], ['agent', '--resync', '1m30']]) {
      const r = await maestro(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`${args[1]}: expected [^\\n]*(1m30s|30s)`), args.join(' '));
    }
  });
});
