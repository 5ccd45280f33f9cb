/**
 * What a web page in the user's browser can do to a token-less API on loopback: nothing. Requests are
 * sent as a browser would send them (simple cross-origin POSTs, a rebound Host), over a raw
 * node:http client because fetch may not set Host.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { bodyKind, checkLoopbackHost, parseAuthority } from '../../src/api/guard.js';
import { REDIS_YAML, call, startHarness, type Harness } from './helpers.js';

interface Answer {
  status: number;
  json: any;
  headers: Record<string, string | string[] | undefined>;
}

function send(port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { ...headers, ...(body ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        let json: any;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode!, json, headers: res.headers });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const SCALE_BY_TEXT_FORM = '{"count": 9, "x": "="}'; // what <form enctype="text/plain"> can produce

describe('API and web pages (token-less, on loopback)', () => {
  let h: Harness;
  let port: number;
  let own: string;
  before(async () => {
    h = await startHarness();
    port = h.api.address().port;
    own = `127.0.0.1:${port}`;
    assert.equal((await call(h.base, 'POST', '/v1/jobs', REDIS_YAML)).status, 201);
  });
  after(() => h.close());

  const jobs = async (): Promise<string[]> => (await call(h.base, 'GET', '/v1/jobs')).json.jobs.map((j: any) => `${j.name}:${j.wanted}`);

  it('refuses write bodies a page can send without a preflight (text/plain, forms) with 415, and changes nothing', async () => {
    const spec = 'name: evil\nimage: busybox\nports: [{ container: 22, host: 22 }]\n';
    for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const create = await send(port, 'POST', '/v1/jobs', { host: own, 'content-type': type }, spec);
      assert.equal(create.status, 415, type);
      assert.equal(create.json.error.code, 'unsupported_media_type');
      assert.match(create.json.error.message, /application\/json or application\/yaml/);
      const scale = await send(port, 'POST', '/v1/jobs/redis/scale', { host: own, 'content-type': type }, SCALE_BY_TEXT_FORM);
      assert.equal(scale.status, 415, type);
    }
    assert.equal((await send(port, 'POST', '/v1/jobs', { host: own }, spec)).status, 415, 'no content type');
    assert.equal((await send(port, 'POST', '/v1/jobs', { host: own, 'content-type': 'application/json; charset=utf-16' }, '{}')).status, 415);
    assert.deepEqual(await jobs(), ['redis:3']);
  });

  it('refuses any request from another origin with 403, whatever its content type', async () => {
    for (const origin of ['http://evil.example', 'https://127.0.0.1.evil.example', 'null', `http://localhost:${port + 1}`, `file://${own}`]) {
      const create = await send(port, 'POST', '/v1/jobs', { host: own, origin, 'content-type': 'application/yaml' }, 'name: evil\nimage: busybox\n');
      assert.equal(create.status, 403, origin);
      assert.equal(create.json.error.code, 'forbidden');
      assert.match(create.json.error.message, /other origins/);
      assert.equal((await send(port, 'GET', '/v1/jobs', { host: own, origin })).status, 403, `GET from ${origin}`);
      assert.equal(create.headers['access-control-allow-origin'], undefined);
    }
    const preflight = await send(port, 'OPTIONS', '/v1/jobs', { host: own, origin: 'http://evil.example', 'access-control-request-method': 'POST' });
    assert.ok(preflight.status >= 400, `preflight answered ${preflight.status}`);
    assert.equal(preflight.headers['access-control-allow-origin'], undefined, 'no CORS grant');
    assert.deepEqual(await jobs(), ['redis:3']);
    // The API's own origin (a page it served, were it to serve one) and clients without Origin work.
    const same = await send(port, 'POST', '/v1/jobs/redis/scale', { host: own, origin: `http://${own}`, 'content-type': 'application/json' }, '{"count": 2}');
    assert.equal(same.status, 200);
    assert.deepEqual(await jobs(), ['redis:2']);
  });

  it('answers only Host values naming its loopback address and port: a rebound DNS name gets 403', async () => {
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1.nip.io:${port}`, `localhost.:${port}`, `localhost:${port + 1}`, '127.0.0.1', `10.0.0.1:${port}`, `user@127.0.0.1:${port}`]) {
      const read = await send(port, 'GET', '/v1/jobs', { host });
      assert.equal(read.status, 403, host);
      assert.equal(read.json.error.code, 'forbidden');
      assert.match(read.json.error.message, /DNS rebinding/);
      assert.equal((await send(port, 'GET', '/metrics', { host })).status, 403, `metrics via ${host}`);
      const write = await send(port, 'POST', '/v1/jobs/redis/scale', { host, 'content-type': 'application/json' }, '{"count": 7}');
      assert.equal(write.status, 403, host);
    }
    for (const host of [own, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`, `127.9.9.9:${port}`]) {
      assert.equal((await send(port, 'GET', '/v1/jobs', { host })).status, 200, host);
    }
    assert.deepEqual(await jobs(), ['redis:2']);
  });
});

describe('API and web pages (with a token)', () => {
  it('token holders may use any Host name; foreign Origins and form bodies are refused all the same', async () => {
    const h = await startHarness({ token: 'sesame' });
    try {
      const port = h.api.address().port;
      const auth = { authorization: 'Bearer sesame' };
      assert.equal((await send(port, 'GET', '/v1/jobs', { host: 'maestro.example.com', ...auth })).status, 200);
      assert.equal((await send(port, 'GET', '/v1/jobs', { host: 'maestro.example.com' })).status, 401, 'no token');
      const page = await send(port, 'GET', '/v1/jobs', { host: 'maestro.example.com', origin: 'http://evil.example', ...auth });
      assert.equal(page.status, 403);
      const own = await send(port, 'GET', '/v1/jobs', { host: 'maestro.example.com', origin: 'https://maestro.example.com', ...auth });
      assert.equal(own.status, 200);
      const form = await send(port, 'POST', '/v1/jobs', { host: 'maestro.example.com', 'content-type': 'text/plain', ...auth }, REDIS_YAML);
      assert.equal(form.status, 415);
      const yaml = await send(port, 'POST', '/v1/jobs', { host: 'maestro.example.com', 'content-type': 'text/yaml', ...auth }, REDIS_YAML);
      assert.equal(yaml.status, 201);
    } finally {
      await h.close();
    }
  });
});

describe('guard rules (pure)', () => {
  it('reads Host authorities strictly', () => {
    assert.deepEqual(parseAuthority('localhost:4680'), { hostname: 'localhost', port: 4680 });
    assert.deepEqual(parseAuthority('[::1]:80'), { hostname: '[::1]', port: 80 });
    assert.deepEqual(parseAuthority('Example.COM'), { hostname: 'example.com', port: undefined });
    for (const bad of ['', 'a b', 'a:99999', 'a:', 'user@host', 'host/path', '[::1', 'h:1:2']) assert.equal(parseAuthority(bad), undefined, bad);
    assert.doesNotThrow(() => checkLoopbackHost(undefined, 4680), 'HTTP/1.0 without Host is no browser');
    assert.doesNotThrow(() => checkLoopbackHost('localhost', 80));
    assert.doesNotThrow(() => checkLoopbackHost('[0:0:0:0:0:0:0:1]:4680', 4680));
    assert.throws(() => checkLoopbackHost('[::2]:4680', 4680));
  });

  it('accepts JSON and the YAML media types, with or without a UTF-8 charset', () => {
    assert.equal(bodyKind('application/json', ['json', 'yaml']), 'json');
    assert.equal(bodyKind('Application/JSON; charset="UTF-8"', ['json']), 'json');
    for (const t of ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml; charset=utf-8']) assert.equal(bodyKind(t, ['json', 'yaml']), 'yaml', t);
    for (const t of [undefined, '', 'text/plain', 'application/jsonx', 'application/json-seq', 'application/yaml', 'application/json;charset=latin1']) {
      assert.throws(() => bodyKind(t, ['json']), (err: any) => err.code === 'unsupported_media_type', String(t));
    }
  });
});
