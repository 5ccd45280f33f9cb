import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLoopbackHost } from '../../src/api/index.js';
import { call, startHarness } from './helpers.js';

describe('API auth', () => {
  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) assert.ok(isLoopbackHost(h), h);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.1', 'example.com', '128.0.0.1']) assert.ok(!isLoopbackHost(h), h);
  });

  it('refuses to start on a non-loopback address without a token', async () => {
    await assert.rejects(startHarness({ addr: { host: '0.0.0.0', port: 0 } }), (err: any) => {
      assert.equal(err.code, 'usage');
      assert.match(err.message, /--api-token/);
      return true;
    });
  });

  it('needs no token on loopback', async () => {
    const h = await startHarness();
    try {
      assert.equal((await call(h.base, 'GET', '/v1/jobs')).status, 200);
    } finally {
      await h.close();
    }
  });

  it('bound to 0.0.0.0 requires the bearer token from every caller, loopback included', async () => {
    const h = await startHarness({ addr: { host: '0.0.0.0', port: 0 }, token: 's3cret' });
    try {
      for (const [headers, status] of [
        [{}, 401],
        [{ authorization: 'Bearer wrong' }, 401],
        [{ authorization: 'Basic czNjcmV0' }, 401],
        [{ authorization: 'Bearer s3cret' }, 200],
      ] as const) {
        const res = await call(h.base, 'GET', '/v1/jobs', undefined, headers);
        assert.equal(res.status, status, JSON.stringify(headers));
        if (status === 401) {
          assert.equal(res.json.error.code, 'unauthorized');
          assert.match(res.headers.get('www-authenticate') ?? '', /Bearer/);
        }
      }
      // Unknown paths are hidden behind auth too; liveness is open.
      assert.equal((await call(h.base, 'GET', '/v1/secret-place')).status, 401);
      assert.equal((await call(h.base, 'POST', '/v1/jobs', 'name: x\nimage: y\n')).status, 401);
      assert.equal((await call(h.base, 'GET', '/metrics')).status, 401);
      assert.equal((await call(h.base, 'GET', '/healthz')).status, 200);
    } finally {
      await h.close();
    }
  });
});
