import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { call, startHarness } from './helpers.js';

function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(text));
    let got = '';
    socket.on('data', (d) => (got += d.toString()));
    socket.on('close', () => resolve(got));
    socket.on('error', reject);
  });
}

describe('API robustness', () => {
  it('survives malformed HTTP and hostile input, and keeps serving', async () => {
    const h = await startHarness();
    try {
      const port = h.api.address().port;
      assert.match(await raw(port, 'GARBAGE\r\n\r\n'), /^HTTP\/1\.1 400/);
      assert.match(await raw(port, 'GET /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n'), /^HTTP\/1\.1 400/);
      const hostile = [
        ['GET', '/v1/jobs?selector=%FF%FE'],
        ['GET', `/v1/jobs?selector=${encodeURIComponent('a in ('.repeat(500))}`],
        ['GET', `/v1/jobs/${'x'.repeat(5000)}`],
        ['POST', '/v1/jobs'],
        ['GET', '/v1/allocations?job=%00'],
      ] as const;
      const bodies = ['\u0000\u0001', '- - -\n: :', '[]', 'null', '{"name": {"$gt": ""}}', 'a: &a [*a, *a]\nb: *a\n', '{"name":"x","image":"y","count":1e309}'];
      for (const [method, path] of hostile) {
        const res = await call(h.base, method, path, method === 'POST' ? '' : undefined);
        assert.ok(res.status >= 400 && res.status < 500, `${method} ${path}: ${res.status} ${res.text.slice(0, 200)}`);
        assert.equal(typeof res.json?.error?.code, 'string');
      }
      for (const body of bodies) {
        const res = await call(h.base, 'POST', '/v1/jobs', body);
        assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text.slice(0, 200)}`);
        assert.ok(['invalid_spec', 'bad_request'].includes(res.json.error.code), body);
      }
      assert.equal((await call(h.base, 'GET', '/healthz')).status, 200);
      assert.deepEqual((await call(h.base, 'GET', '/v1/jobs')).json, { jobs: [] });
    } finally {
      await h.close();
    }
  });
});
