/**
 * People's habits, as a user meets them: logs pretty on a terminal (a real pty, from util-linux
 * `script`) and JSON lines in a pipe, `--log-format` overriding either; a `1m30s` flag that takes
 * effect (the DNS TTL that `dig` reads back).
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { eventually } from '../support/wait.js';
import { MAIN, defer, startUp } from './support.js';

const exec = promisify(execFile);
const ANSI = /\x1b\[[0-9;]*m/g;

/** The flags of a `maestro up` that binds nothing shared (port 0, no container DNS). */
function upFlags(dataDir: string): string[] {
  return ['--data-dir', dataDir, '--host', `habits-${process.pid}`, '--advertise', '127.0.0.1', '--dns-addr', '127.0.0.1:0',
    '--http-addr', '127.0.0.1:0', '--api-addr', '127.0.0.1:0', '--proxy-bind', '127.0.0.1', '--container-dns', 'off'];
}

/**
 * `maestro up` on a terminal: `script -qfec` gives it a pty for stdin, stdout and stderr, as a shell
 * would. Returns what the terminal showed (ANSI colours removed) once `maestro is up` appeared;
 * the process is stopped with SIGTERM (it is script's only child: `exec` replaces the shell).
 */
async function upOnTerminal(t: TestContext, extra: string[]): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'maestro-habits-'));
  defer(t, () => rmSync(dataDir, { recursive: true, force: true }));
  const quoted = [process.execPath, MAIN, 'up', ...upFlags(dataDir), ...extra].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const script = spawn('script', ['-qfec', `exec ${quoted}`, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let shown = '';
  script.stdout!.on('data', (d: Buffer) => (shown += d.toString()));
  script.stderr!.on('data', (d: Buffer) => (shown += d.toString()));
  const exited = new Promise<void>((resolve) => script.on('exit', () => resolve()));
  const stop = async () => {
    const { stdout } = await exec('ps', ['-o', 'pid=', '--ppid', String(script.pid)]).catch(() => ({ stdout: '' }));
    for (const pid of stdout.split('\n').map((l) => Number(l.trim())).filter((n) => n > 0)) process.kill(pid, 'SIGTERM');
    await exited;
  };
  defer(t, stop);
  await eventually(() => existsSync(join(dataDir, 'addresses.json')) && shown.replace(ANSI, '').includes('maestro is up'), 30_000, `maestro up on a pty to start:\n${shown}`);
  await stop();
  return shown.replace(ANSI, '').replace(/\r/g, '');
}

const JSON_LINE = /^\{"level":\d+,"time":\d+,"pid":\d+/;
const PRETTY_LINE = /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(\d+\): maestro is up$/m;

test('logs: pretty on a terminal, JSON lines in a pipe, --log-format / MAESTRO_LOG_FORMAT decide instead', { timeout: 180_000 }, async (t) => {
  await t.test('a terminal gets pino-pretty', async (st) => {
    const shown = await upOnTerminal(st, []);
    assert.match(shown, PRETTY_LINE);
    assert.ok(!shown.split('\n').some((l) => JSON_LINE.test(l)), shown.slice(0, 2000));
  });
  await t.test('a terminal with --log-format json gets JSON lines', async (st) => {
    const shown = await upOnTerminal(st, ['--log-format', 'json']);
    const lines = shown.split('\n').filter((l) => l.startsWith('{'));
    assert.ok(lines.some((l) => (JSON.parse(l) as { msg?: string }).msg === 'maestro is up'), shown.slice(0, 2000));
    assert.doesNotMatch(shown, PRETTY_LINE);
  });
  await t.test('a pipe gets JSON lines, every line of them', async (st) => {
    const m = await startUp(st);
    const lines = await eventually(() => {
      const all = m.logs().split('\n').filter(Boolean);
      return all.some((l) => l.includes('"maestro is up"')) ? all : undefined;
    }, 10_000, 'the start-up line');
    for (const line of lines) assert.match(line, JSON_LINE, line);
  });
  await t.test('a pipe with --log-format pretty gets pino-pretty', async (st) => {
    const m = await startUp(st, { extra: ['--log-format', 'pretty'] });
    const text = await eventually(() => (PRETTY_LINE.test(m.logs().replace(ANSI, '')) ? m.logs() : undefined), 10_000, 'a pretty start-up line');
    assert.ok(!text.split('\n').some((l) => JSON_LINE.test(l)));
  });
});

test('a 1m30s flag takes effect: `up --dns-ttl 1m30s` answers with TTL 90, as dig reads it', { timeout: 60_000 }, async (t) => {
  const m = await startUp(t, { extra: ['--dns-ttl', '1m30s', '--host-down-grace', '1m30s', '--resync', '1m30s'] });
  const [host, port] = m.addresses.dns.split(':');
  const answer = await eventually(async () => {
    const { stdout } = await exec('dig', [`@${host}`, '-p', port!, 'cluster', 'SOA', '+noall', '+answer', '+authority', '+time=2', '+tries=1']);
    return stdout.trim();
  }, 10_000, "the zone's SOA");
  // The record's TTL and the SOA's minimum (the negative-caching TTL) are both the flag's 90 s.
  assert.match(answer, /^cluster\.\s+90\s+IN\s+SOA\s+ns\.cluster\. hostmaster\.cluster\. \d+ \d+ \d+ \d+ 90$/);
});
