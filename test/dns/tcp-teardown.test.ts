/**
 * The native TCP listener in a worker thread that ends while clients are connected — by
 * `terminate()` and by `process.exit()` inside it: the addon's teardown hook must close its poll and
 * timer handles before the worker's environment (and the addon's code) goes, or a close callback
 * runs in unmapped code and the whole process dies. Run in a child process, which must exit 0 after
 * every client saw its connection end.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { nativeTcpOrSkip } from './tcp-server.js';

const transport = pathToFileURL(new URL('../../src/dns/transport.js', import.meta.url).pathname).href;
const log = pathToFileURL(new URL('../../src/log/index.js', import.meta.url).pathname).href;

const SCENARIO = (mode: string) => `
import { Worker } from 'node:worker_threads';
import { connect } from 'node:net';
const worker = new Worker(\`
  const { parentPort } = require('node:worker_threads');
  (async () => {
    const { listen } = await import(${JSON.stringify(transport)});
    const { silentLogger } = await import(${JSON.stringify(log)});
    const slow = (m) => new Promise((r) => setTimeout(() => r(Buffer.from(m)), 60_000));
    const l = await listen({ host: '127.0.0.1', port: 0 }, (m) => (m[3] === 1 ? slow(m) : Buffer.from(m)), silentLogger, {});
    if (l.tcpIo !== 'native') throw new Error('not the native listener: ' + l.tcpIo);
    parentPort.postMessage(l.address.port);
    parentPort.on('message', () => (${JSON.stringify(mode)} === 'exit' ? process.exit(0) : undefined));
  })();
\`, { eval: true, execArgv: [] });
worker.on('error', (err) => { console.error(err); process.exit(3); });
const port = await new Promise((r) => worker.once('message', r));
const query = (flag) => Buffer.from([0, 12, 0, 7, 0, flag, 0, 0, 0, 0, 0, 0, 0, 0]);
const ended = [];
for (let i = 0; i < 30; i++) {
  const c = connect(port, '127.0.0.1');
  c.on('error', () => {});
  c.resume();
  ended.push(new Promise((r) => c.on('close', r)));
  // Answered, waiting on a deferred answer, a partial frame, or pipelined and unread.
  c.write([Buffer.concat([query(0), query(0)]), query(1), Buffer.from([0, 40, 1]), Buffer.concat(Array(50).fill(query(0)))][i % 4]);
}
await new Promise((r) => setTimeout(r, 300));
if (${JSON.stringify(mode)} === 'exit') worker.postMessage('exit');
else await worker.terminate();
await Promise.all(ended);
console.log('clean');
`;

function run(script: string): Promise<{ code: number | null; signal: string | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('close', (code, signal) => (clearTimeout(timer), resolve({ code, signal, out })));
  });
}

for (const mode of ['terminate', 'exit']) {
  test(`a worker serving DNS over TCP through the addon, ended by ${mode}() with clients connected, leaves the process clean`, { timeout: 40_000 }, async (t) => {
    if (!nativeTcpOrSkip(t)) return;
    const r = await run(SCENARIO(mode));
    assert.equal(r.signal, null, r.out);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /clean/);
  });
}
