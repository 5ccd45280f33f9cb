import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import { DockerodeAdapter } from '../../src/docker/index.js';
import { findEndpoint, localLogs, startLogEndpoint, type LogEndpoint } from '../../src/agent/logs/index.js';
import { silentLogger } from '../../src/log/index.js';
import { docker, dockerOrSkip, scopeFor, startContainer } from '../support/docker.js';
import { eventually } from '../support/wait.js';

const exec = promisify(execFile);

/**
 * The agent's log endpoint against a real dockerd: what it serves is judged against `docker logs`
 * itself (the reference demultiplexer), and it is attacked as an outsider would: without the token,
 * with a wrong one, with bad queries, by not reading, by going away, by opening too many streams.
 */

interface Setup {
  endpoint: LogEndpoint;
  base: string;
  token: string;
  host: string;
  scope: string;
}

async function setup(t: TestContext, opts: { stallMs?: number; maxStreams?: number } = {}): Promise<Setup> {
  const scope = scopeFor(t, 'logs');
  const host = `logs-${scope}`;
  const catalog = createEmbeddedCatalog();
  t.after(() => catalog.close());
  const adapter = new DockerodeAdapter();
  const endpoint = await startLogEndpoint({
    catalog,
    host,
    addr: { host: '127.0.0.1', port: 0 },
    logs: localLogs({ docker: adapter, host, keepAliveMs: 500 }),
    logger: silentLogger,
    ...opts,
  });
  t.after(() => endpoint.stop());
  const record = await findEndpoint(catalog, host);
  assert.ok(record, 'the endpoint is published in the catalog');
  assert.equal(record.addr, `127.0.0.1:${endpoint.address().port}`);
  assert.match(record.token, /^[0-9a-f]{64}$/);
  return { endpoint, base: `http://${record.addr}`, token: record.token, host, scope };
}

/** A container as the agent labels it: allocation `alloc`, member `main`, on `host`. */
function run(s: Setup, alloc: string, script: string): Promise<string> {
  return startContainer({
    scope: s.scope,
    flags: ['-l', `maestro.alloc=${alloc}`, '-l', `maestro.host=${s.host}`, '-l', 'maestro.member=main', '-l', 'maestro.job=logs-test'],
    cmd: ['sh', '-c', script],
  });
}

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

/** The NDJSON records of a finished stream, split back into stdout and stderr text. */
function split(body: string): { stdout: string; stderr: string } {
  const out = { stdout: '', stderr: '' };
  for (const line of body.split('\n').filter((l) => l.trim())) {
    const r = JSON.parse(line) as { stream: 'stdout' | 'stderr'; text: string };
    out[r.stream] += r.text;
  }
  return out;
}

test('agent log endpoint: only its token opens it; output equals `docker logs`, --tail and follow included', { timeout: 120_000 }, async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const s = await setup(t);
  const auth = { authorization: `Bearer ${s.token}` };
  // Interleaved streams, a multi-byte character and a last line without a newline (Docker keeps
  // that one back until the container exits: this one has, and a stopped replica's output is served too).
  const id = await run(s, 'a1', 'for i in 1 2 3 4 5; do echo "out $i ü"; echo "err $i" >&2; done; printf "no newline"');
  await eventually(async () => (await docker(['inspect', '-f', '{{.State.Running}}', id])) === 'false', 20_000, 'the container exited');

  // Refused without the token, with a wrong one, and whatever the path (auth comes first).
  for (const headers of [{} as Record<string, string>, { authorization: 'Bearer nope' }, { authorization: `Basic ${s.token}` }, { authorization: `Bearer ${s.token}x` }]) {
    for (const path of ['/v1/logs/a1?container=main', '/nothing']) {
      const r = await get(`${s.base}${path}`, headers);
      assert.equal(r.status, 401, `${path} ${JSON.stringify(headers)}`);
      assert.doesNotMatch(r.body, /out 1/);
      assert.equal((JSON.parse(r.body) as { error: { code: string } }).error.code, 'unauthorized');
    }
  }
  assert.equal(s.endpoint.metrics().refusedUnauthorized, 8);

  const ref = await exec('docker', ['logs', id]);
  const all = await get(`${s.base}/v1/logs/a1?container=main`, auth);
  assert.equal(all.status, 200);
  assert.deepEqual(split(all.body), { stdout: ref.stdout, stderr: ref.stderr });
  assert.match(ref.stdout, /out 5 ü\nno newline$/);

  const refTail = await exec('docker', ['logs', '--tail', '2', id]);
  const tail = await get(`${s.base}/v1/logs/a1?container=main&tail=2`, auth);
  assert.deepEqual(split(tail.body), { stdout: refTail.stdout, stderr: refTail.stderr });
  assert.ok(split(tail.body).stdout.length + split(tail.body).stderr.length > 0);

  // Bad requests, after authentication, are named.
  for (const [path, status, re] of [
    ['/v1/logs/a1?container=main&tail=ten', 400, /tail/],
    ['/v1/logs/a1?container=main&since=yesterday', 400, /since/],
    ['/v1/logs/a1?container=main&follow=maybe', 400, /follow/],
    ['/v1/logs/a1', 400, /container: required/],
    ['/v1/logs/a1?container=sidecar', 404, /no container ..sidecar.. \(its containers: main\)/],
    ['/v1/logs/zz9?container=main', 404, /no container of allocation zz9/],
    ['/v1/logs/%2e%2e?container=main', 404, /no such endpoint/], // `..` is resolved away, never passed on
    ['/v1/logs/A%20B?container=main', 400, /not an allocation id/],
    ['/v2/other', 404, /no such endpoint/],
  ] as const) {
    const r = await get(`${s.base}${path}`, auth);
    assert.equal(r.status, status, path);
    assert.match(r.body, re, path);
  }

  // HEAD is refused: node discards a HEAD response's writes, so nothing would push back on Docker.
  const head = await new Promise<number>((resolve, reject) => request(`${s.base}/v1/logs/a1?container=main&follow=true`, { method: 'HEAD', headers: auth }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject).end());
  assert.equal(head, 400);

  // Follow: a line written after the stream started arrives on it.
  const id2 = await run(s, 'a2', 'echo before; while [ ! -f /tmp/go ]; do sleep 0.1; done; echo after-the-start; sleep 3600');
  await eventually(async () => (await docker(['logs', id2])).includes('before'), 20_000, 'first line');
  const received: string[] = [];
  const res = await new Promise<IncomingMessage>((resolve, reject) => request(`${s.base}/v1/logs/a2?container=main&follow=true`, { headers: auth }, resolve).on('error', reject).end());
  assert.equal(res.statusCode, 200);
  res.setEncoding('utf8');
  res.on('data', (d: string) => received.push(d));
  await eventually(() => received.join('').includes('before'), 10_000, 'the existing line');
  await docker(['exec', id2, 'touch', '/tmp/go']);
  await eventually(() => received.join('').includes('after-the-start'), 10_000, 'the line written after following started');
  // Quiet now: keep-alives (blank lines) keep coming.
  await eventually(() => received.join('').endsWith('\n\n'), 10_000, 'a keep-alive');
  assert.equal(s.endpoint.metrics().streamsOpen, 1);
  res.destroy();
  await eventually(() => s.endpoint.metrics().streamsOpen === 0, 10_000, 'the stream ends when its client goes');
});

test('agent log endpoint: a reader that stops reading is cut at the stall deadline; streams are capped', { timeout: 120_000 }, async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const s = await setup(t, { stallMs: 1_000, maxStreams: 2 });
  // A container that writes as fast as it can: the endpoint would buffer without bound if it did not wait.
  await run(s, 'f1', 'yes 0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz');
  const socket = connect(new URL(s.base).port ? Number(new URL(s.base).port) : 80, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  socket.pause(); // never reads
  socket.write(`GET /v1/logs/f1?container=main&follow=true HTTP/1.1\r\nHost: agent\r\nAuthorization: Bearer ${s.token}\r\n\r\n`);
  const closed = new Promise((r) => socket.once('close', r));
  socket.on('error', () => undefined);
  await eventually(() => s.endpoint.metrics().stalled === 1, 60_000, 'the stalled reader cut');
  assert.equal(s.endpoint.metrics().streamsOpen, 0);
  socket.resume(); // now read what is left: the connection ends
  await closed;

  // Two streams at most; the third is told to come back later.
  await run(s, 'q1', 'sleep 3600');
  const held: IncomingMessage[] = [];
  for (let i = 0; i < 2; i++) {
    held.push(await new Promise<IncomingMessage>((resolve, reject) => request(`${s.base}/v1/logs/q1?container=main&follow=1`, { headers: { authorization: `Bearer ${s.token}` } }, resolve).on('error', reject).end()));
    assert.equal(held[i]!.statusCode, 200);
  }
  const third = await get(`${s.base}/v1/logs/q1?container=main&follow=1`, { authorization: `Bearer ${s.token}` });
  assert.equal(third.status, 503);
  assert.match(third.body, /2 log streams are open/);
  for (const r of held) r.destroy();
  await eventually(() => s.endpoint.metrics().streamsOpen === 0, 10_000, 'both streams closed');
});
