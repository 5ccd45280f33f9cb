import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { LogRequest, LogSource } from '../../src/agent/logs/index.js';
import { LogsError } from '../../src/agent/logs/index.js';
import { keys, type AllocStatus, type Allocation } from '../../src/scheduler/types.js';
import { eventually } from '../support/wait.js';
import { call, registerHost, startHarness, type Harness } from './helpers.js';

const JSON_TYPE = { 'content-type': 'application/json' };

const spec = (image: string, extra = '') => `
name: web
image: ${image}
count: 3
update: { maxParallel: 1, minHealthy: 1s }
${extra}`;

describe('API rollback and restart', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it('rollback submits an earlier spec as a new version, noted in the history; the count stays', async () => {
    assert.equal((await call(h.base, 'POST', '/v1/jobs', spec('web:1'))).status, 201);
    assert.equal((await call(h.base, 'POST', '/v1/jobs', spec('web:2'))).json.job.version, 2);
    assert.equal((await call(h.base, 'POST', '/v1/jobs/web/scale', '{"count":5}', JSON_TYPE)).status, 200);

    const back = await call(h.base, 'POST', '/v1/jobs/web/rollback', '{}', JSON_TYPE);
    assert.equal(back.status, 200, back.text);
    assert.equal(back.json.changed, true);
    assert.equal(back.json.target, 1);
    assert.equal(back.json.job.version, 3);
    assert.deepEqual(back.json.job.images, ['web:1']);
    assert.equal(back.json.job.wanted, 5, 'scaling made no version: the current count stays');

    // Without a version: the newest earlier one that differs (version 2 now, not the identical 1).
    const again = await call(h.base, 'POST', '/v1/jobs/web/rollback', '{}', JSON_TYPE);
    assert.equal(again.json.target, 2);
    assert.deepEqual(again.json.job.images, ['web:2']);
    assert.equal(again.json.job.version, 4);

    // Back to what already runs: nothing written.
    const same = await call(h.base, 'POST', '/v1/jobs/web/rollback', '{"version":2}', JSON_TYPE);
    assert.equal(same.status, 200);
    assert.equal(same.json.changed, false);
    assert.equal(same.json.job.version, 4);

    const history = await call(h.base, 'GET', '/v1/jobs/web/history');
    assert.deepEqual(
      history.json.versions.map((v: any) => [v.version, v.job.containers[0].image, v.note ?? null]),
      [[1, 'web:1', null], [2, 'web:2', null], [3, 'web:1', 'rollback to version 1'], [4, 'web:2', 'rollback to version 2']],
    );
  });

  it('restart makes a new version of the same spec, so every replica is replaced; a resubmit of the spec stays unchanged', async () => {
    const before = (await call(h.base, 'GET', '/v1/jobs/web')).json.job;
    const res = await call(h.base, 'POST', '/v1/jobs/web/restart', '{}', JSON_TYPE);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.job.version, before.version + 1);
    assert.deepEqual(res.json.job.job.containers, before.job.containers);
    const history = (await call(h.base, 'GET', '/v1/jobs/web/history')).json.versions;
    assert.equal(history.at(-1).note, 'restart');
    const resubmit = await call(h.base, 'POST', '/v1/jobs', spec('web:2', 'count: 5').replace('count: 3\n', ''));
    assert.equal(resubmit.json.changed, false, resubmit.text);
    assert.equal(resubmit.json.job.version, before.version + 1);
    // A rollback never picks a restart (same spec) as "the previous version".
    const back = await call(h.base, 'POST', '/v1/jobs/web/rollback', '{}', JSON_TYPE);
    assert.deepEqual(back.json.job.images, ['web:1']);
  });

  it('says what is wrong: unknown job, version or field, a stopped job, bad versions', async () => {
    const cases: Array<[string, string, number, string, RegExp]> = [
      ['/v1/jobs/nope/rollback', '{}', 404, 'not_found', /no such job: nope/],
      ['/v1/jobs/nope/restart', '{}', 404, 'not_found', /no such job: nope/],
      ['/v1/jobs/web/rollback', '{"version":99}', 404, 'not_found', /has no version 99 \(versions kept: 1, 2, 3, 4, 5, 6\)/],
      ['/v1/jobs/web/rollback', '{"version":0}', 400, 'bad_request', /version must be a whole number from 1/],
      ['/v1/jobs/web/rollback', '{"version":"1"}', 400, 'bad_request', /version must be a whole number/],
      ['/v1/jobs/web/rollback', '{"version":1.5}', 400, 'bad_request', /version must be a whole number/],
      ['/v1/jobs/web/rollback', '{"version":6}', 400, 'bad_request', /version 6 is the current version of web/],
      ['/v1/jobs/web/rollback', '{"to":1}', 400, 'bad_request', /unknown field\(s\): to/],
      ['/v1/jobs/web/rollback', '[1]', 400, 'bad_request', /must be a JSON object/],
      ['/v1/jobs/web/restart', '{"now":true}', 400, 'bad_request', /restart takes no fields/],
      ['/v1/jobs/web/restart', 'not json', 400, 'bad_request', /not valid JSON/],
    ];
    for (const [path, body, status, code, message] of cases) {
      const r = await call(h.base, 'POST', path, body, JSON_TYPE);
      assert.equal(r.status, status, `${path} ${body}: ${r.text}`);
      assert.equal(r.json.error.code, code);
      assert.match(r.json.error.message, message);
    }
    const first = await call(h.base, 'POST', '/v1/jobs', 'name: solo\nimage: solo:1\n');
    assert.equal(first.status, 201);
    const none = await call(h.base, 'POST', '/v1/jobs/solo/rollback', '{}', JSON_TYPE);
    assert.equal(none.status, 400);
    assert.match(none.json.error.message, /no earlier version that differs from version 1: nothing to roll back to/);
    await call(h.base, 'DELETE', '/v1/jobs/solo');
    const stopped = await call(h.base, 'POST', '/v1/jobs/solo/restart', '{}', JSON_TYPE);
    assert.equal(stopped.status, 400);
    assert.match(stopped.json.error.message, /solo is stopped: nothing runs to restart/);
  });

  it('keeps the guard rules: no web page can roll back or restart', async () => {
    const version = (await call(h.base, 'GET', '/v1/jobs/web')).json.job.version;
    for (const path of ['/v1/jobs/web/rollback', '/v1/jobs/web/restart']) {
      // The types a page may send without a preflight, and none at all.
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
        const r = await call(h.base, 'POST', path, '{}', { 'content-type': type });
        assert.equal(r.status, 415, `${path} ${type}`);
      }
      const bare = await fetch(h.base + path, { method: 'POST' });
      assert.equal(bare.status, 415);
      const page = await call(h.base, 'POST', path, '{}', { ...JSON_TYPE, origin: 'http://evil.example' });
      assert.equal(page.status, 403);
      assert.equal(page.json.error.code, 'forbidden');
      assert.equal((await call(h.base, 'GET', path)).status, 405);
    }
    assert.equal((await call(h.base, 'GET', '/v1/jobs/web')).json.job.version, version, 'nothing refused changed the job');
  });
});

describe('API logs route', () => {
  let h: Harness;
  const asked: Array<{ host: string; req: LogRequest }> = [];
  let produced = 0;
  let endless: { ended: boolean; aborted: boolean } = { ended: false, aborted: false };
  const source: LogSource = async (host, req, signal) => {
    asked.push({ host, req });
    if (host === 'h-down') throw new Error('must not be asked');
    if (req.allocId.startsWith('gone')) throw new LogsError('not_found', `host ${host} has no container of allocation ${req.allocId}`);
    if (req.allocId.startsWith('endless')) {
      endless = { ended: false, aborted: false };
      const state = endless;
      signal.addEventListener('abort', () => (state.aborted = true));
      return (async function* () {
        try {
          const piece = `${JSON.stringify({ stream: 'stdout', text: 'x'.repeat(64 * 1024) })}\n`;
          while (!signal.aborted) {
            produced += piece.length;
            yield piece;
          }
        } finally {
          state.ended = true;
        }
      })();
    }
    return (async function* () {
      yield `${JSON.stringify({ stream: 'stdout', text: `hello from ${req.allocId}\n` })}\n`;
      yield `${JSON.stringify({ stream: 'stderr', text: 'oops\n' })}\n`;
    })();
  };

  const seed = async (id: string, job: string, ordinal: number, host: string, desired: Allocation['desired'], state: AllocStatus['state'], createdAt: number) => {
    const a: Allocation = { id, job, ordinal, host, jobVersion: 1, desired, createdAt };
    await h.catalog.kvPut(keys.alloc(host, id), JSON.stringify(a));
    const s: AllocStatus = { allocId: id, state, containerIds: ['c'], healthy: state === 'running', updatedAt: createdAt };
    await h.catalog.kvPut(keys.allocStatus(host, id), JSON.stringify(s));
  };

  before(async () => {
    h = await startHarness({ logs: { source, stallMs: 500, maxStreams: 2 } });
    await registerHost(h.catalog, 'h1');
    await call(h.base, 'POST', '/v1/jobs', 'name: app\nimage: app:1\ncount: 2\ncontainers:\n  - { name: main, image: app:1 }\n  - { name: side, image: side:1 }\n'.replace('image: app:1\ncount', 'count'));
    await call(h.base, 'POST', '/v1/jobs', 'name: endless\nimage: e:1\n');
    await call(h.base, 'POST', '/v1/jobs', 'name: gone\nimage: g:1\n');
    await seed('app-0-old', 'app', 0, 'h1', 'stop', 'stopped', 1);
    await seed('app-0-new', 'app', 0, 'h1', 'run', 'running', 2);
    await seed('app-0-newer', 'app', 0, 'h1', 'run', 'pending', 3);
    await seed('app-1-x', 'app', 1, 'h-down', 'run', 'running', 1);
    await seed('endless-0-x', 'endless', 0, 'h1', 'run', 'running', 1);
    await seed('gone-0-x', 'gone', 0, 'h1', 'run', 'running', 1);
    const session = await h.catalog.createSession({ name: 'host:h-down', ttlMs: 10_000 });
    await h.catalog.registerHost({ name: 'h-down', address: '10.0.0.2', meta: {}, capacity: { cpu: 1000, memory: 1024 } }, session);
    await h.catalog.destroySession(session);
  });
  after(() => h.close());

  it('reads an instance (its running allocation) or an allocation id, with the pod\'s first container by default', async () => {
    const r = await call(h.base, 'GET', '/v1/allocations/app-0/logs?tail=5&since=1700000000.5&timestamps=true');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type')!, /^application\/x-ndjson/);
    assert.deepEqual(r.text.trim().split('\n').map((l) => JSON.parse(l)), [
      { stream: 'stdout', text: 'hello from app-0-new\n' },
      { stream: 'stderr', text: 'oops\n' },
    ]);
    assert.deepEqual(asked.at(-1), { host: 'h1', req: { follow: false, timestamps: true, tail: 5, since: 1700000000.5, allocId: 'app-0-new', container: 'main' } });
    const byId = await call(h.base, 'GET', '/v1/allocations/app-0-old/logs?container=side&follow=1');
    assert.equal(byId.status, 200);
    assert.deepEqual(asked.at(-1)!.req, { follow: true, timestamps: false, allocId: 'app-0-old', container: 'side' });
  });

  it('answers errors before the first byte: unknown replica, bad query, host down, agent says no', async () => {
    const n = asked.length;
    for (const [path, status, code, re] of [
      ['/v1/allocations/app-9/logs', 404, 'not_found', /no allocation or instance named app-9/],
      ['/v1/allocations/app-0/logs?tail=-1', 400, 'bad_request', /tail/],
      ['/v1/allocations/app-0/logs?since=now', 400, 'bad_request', /since/],
      ['/v1/allocations/app-0/logs?container=Bad_Name', 400, 'bad_request', /container/],
      ['/v1/allocations/app-1/logs', 503, 'unavailable', /host h-down, where app-1-x runs, is down/],
    ] as const) {
      const r = await call(h.base, 'GET', path);
      assert.equal(r.status, status, path);
      assert.equal(r.json.error.code, code);
      assert.match(r.json.error.message, re);
    }
    assert.equal(asked.length, n, 'no agent was asked for any of them');
    const gone = await call(h.base, 'GET', '/v1/allocations/gone-0/logs');
    assert.equal(gone.status, 404);
    assert.match(gone.json.error.message, /no container of allocation gone-0-x/);
  });

  it('a client that stops reading is cut at the stall deadline, with what it pulled bounded; one that leaves ends the source', async () => {
    const port = Number(new URL(h.base).port);
    const socket = connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.pause();
    socket.on('error', () => undefined);
    produced = 0;
    socket.write('GET /v1/allocations/endless-0/logs?follow=true HTTP/1.1\r\nHost: 127.0.0.1:' + port + '\r\n\r\n');
    await eventually(() => endless.ended, 30_000, 'the source ended after the stall');
    assert.equal(endless.aborted, true);
    // Bounded by socket buffers and the response's high-water mark, not by the source's endless supply.
    assert.ok(produced < 64 * 1024 * 1024, `pulled ${produced} bytes for a client reading nothing`);
    console.log(`# pulled ${(produced / 1024 / 1024).toFixed(1)} MiB for a client that read nothing, before the stall cut`);
    socket.destroy();

    // A client that reads a little, then goes.
    const ac = new AbortController();
    const res = await fetch(`${h.base}/v1/allocations/endless-0/logs?follow=true`, { signal: ac.signal });
    const reader = res.body!.getReader();
    assert.ok((await reader.read()).value!.length > 0);
    ac.abort();
    await eventually(() => endless.ended && endless.aborted, 10_000, 'the source ended when its client left');
  });

  it('HEAD answers the head only and ends the source at once (its writes would be discarded, pushing nothing back)', async () => {
    endless = { ended: false, aborted: false };
    produced = 0;
    const res = await fetch(`${h.base}/v1/allocations/endless-0/logs?follow=true`, { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /x-ndjson/);
    await eventually(() => endless.ended, 10_000, 'the source ended for a HEAD request');
    assert.ok(produced <= 64 * 1024 + 100, `pulled ${produced} bytes for a HEAD request`);
  });

  it('caps open streams (503 busy beyond)', async () => {
    const held = [new AbortController(), new AbortController()];
    for (const ac of held) {
      const r = await fetch(`${h.base}/v1/allocations/endless-0/logs?follow=true`, { signal: ac.signal });
      assert.equal(r.status, 200);
      void r.body!.getReader().read().catch(() => undefined);
    }
    const third = await call(h.base, 'GET', '/v1/allocations/app-0/logs');
    assert.equal(third.status, 503);
    assert.match(third.json.error.message, /2 log streams are open/);
    for (const ac of held) ac.abort();
    await eventually(async () => (await call(h.base, 'GET', '/v1/allocations/app-0/logs')).status === 200, 10_000, 'room again once they left');
  });
});
