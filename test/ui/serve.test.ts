/**
 * The web UI as the API serves it, asked over raw HTTP (node:http, so paths reach the server as
 * written, unnormalised): redirects, the page and its modules, security headers, caching, and what
 * a hostile or foreign request gets.
 */
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createHash } from 'node:crypto';
import { CSP, cspWith } from '../../src/ui/serve.js';
import { startHarness, type Harness } from '../api/helpers.js';
import { uiMount } from '../../src/api/ui.js';
import { authorizer } from '../../src/api/auth.js';

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

function send(port: number, method: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('web UI served by a token-less API', () => {
  let h: Harness;
  let port: number;
  before(async () => {
    h = await startHarness({ ui: { zone: 'example', dns: '127.0.0.1:8600' } });
    port = h.api.address().port;
  });
  after(() => h.close());

  it('redirects / and /ui to /ui/, relative so a path prefix of a reverse proxy survives', async () => {
    for (const path of ['/', '/ui']) {
      const r = await send(port, 'GET', path);
      assert.equal(r.status, 302, path);
      assert.equal(r.headers.location, 'ui/');
      assert.equal(new URL(r.headers.location as string, `http://x${path}`).pathname, '/ui/');
    }
  });

  it('serves the page and its modules with a CSP that allows only its own origin and no framing', async () => {
    const page = await send(port, 'GET', '/ui/');
    assert.equal(page.status, 200);
    assert.match(page.headers['content-type'] as string, /^text\/html/);
    // The page names one script, early.js (inline), which imports app.js.
    assert.match(page.body, /import\('\.\/app\.js'\)/);
    assert.doesNotMatch(page.body, /<script type="module"|modulepreload/);
    // The stylesheet and the early script are inline, each allowed by its hash and nothing else is.
    const blocks = [...page.body.matchAll(/<(script|style)>([\s\S]*?)<\/\1>/g)];
    assert.deepEqual(blocks.map((b) => b[1]), ['style', 'script']);
    assert.doesNotMatch(page.body, /<link rel="stylesheet"|src="early\.js"/);
    const hash = (t: string) => `'sha256-${createHash('sha256').update(t).digest('base64')}'`;
    assert.equal(page.headers['content-security-policy'], cspWith([hash(blocks[1]![2]!)], [hash(blocks[0]![2]!)]));
    assert.equal((await send(port, 'GET', '/ui/style.css')).headers['content-security-policy'], CSP, 'other files keep the strict CSP');
    assert.match(CSP, /frame-ancestors 'none'/);
    assert.match(CSP, /script-src 'self'(;|$)/);
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    const core = await send(port, 'GET', '/ui/core/live.js');
    assert.equal(core.status, 200);
    assert.match(core.headers['content-type'] as string, /^text\/javascript/);
    assert.match(core.body, /export function afterSuccess/);
    assert.doesNotMatch(core.body, /from ['"]node:/, 'browser modules import nothing from node');
  });

  it('answers a repeated request with 304 by ETag, and HEAD without a body', async () => {
    const first = await send(port, 'GET', '/ui/app.js');
    const etag = first.headers.etag as string;
    assert.match(etag, /^"[\w-]+"$/);
    assert.equal(first.headers['cache-control'], 'no-cache');
    const again = await send(port, 'GET', '/ui/app.js', { 'if-none-match': `"other", ${etag}` });
    assert.equal(again.status, 304);
    assert.equal(again.body, '');
    const head = await send(port, 'HEAD', '/ui/app.js');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.equal(Number(head.headers['content-length']), Buffer.byteLength(first.body));
  });

  it('puts the cluster map in the page, escaped, and never stored', async () => {
    await h.catalog.registerHost({ name: 'host-<1>', address: '10.0.0.9', meta: {}, capacity: { cpu: 1000, memory: 1000 } }, await h.catalog.createSession({ name: 'host-<1>', ttlMs: 60_000 }));
    // The view's index only grows: wait until /v1/map lists the host.
    for (let i = 0; ; i++) {
      const res = await fetch(`${h.base}/v1/map`);
      if (((await res.json()) as { hosts: Array<{ name: string }> }).hosts.some((x) => x.name === 'host-<1>')) break;
      assert.ok(i < 30, 'the API lists the registered host');
      await fetch(`${h.base}/v1/map?index=${res.headers.get('x-maestro-index')}&wait=1s`);
    }
    const page = await send(port, 'GET', '/ui/');
    assert.equal(page.status, 200);
    assert.equal(page.headers['cache-control'], 'no-store', 'the page holds cluster data: never cached');
    assert.equal(page.headers.etag, undefined);
    assert.match(page.body, /^<!doctype html>\n<html lang="en" data-inline-map>/);
    const index = Number(/<section class="map" data-inline data-index="(\d+)"/.exec(page.body)?.[1]);
    assert.ok(index > 0, 'the map carries the view index it shows');
    assert.match(page.body, /<main id="view" aria-live="polite"><h1 data-inline>Cluster<\/h1><section class="map"[^>]*>.*data-host="host-&lt;1&gt;".*<\/section><span id="inline-map-end" hidden><\/span><\/main>/s);
    assert.match(page.body, /<link rel="expect" href="#inline-map-end" blocking="render">\n<\/head>/);
    assert.doesNotMatch(page.body, /<script type="module"|modulepreload/, 'early.js loads the modules after the first frame');
    const head = await send(port, 'HEAD', '/ui/');
    assert.equal(head.body, '');
    assert.equal(head.headers['cache-control'], 'no-store');
    // The same markup as /ui/map.html (what a page behind a token asks for), with the headers of an
    // answer that holds cluster data. The host's name is the only part sure not to change between the two.
    const fragment = await send(port, 'GET', '/ui/map.html');
    assert.equal(fragment.status, 200);
    assert.equal(fragment.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(fragment.headers['cache-control'], 'no-store');
    assert.equal(fragment.headers['content-security-policy'], CSP, 'inert if opened on its own');
    assert.match(fragment.body, /^<h1 data-inline>Cluster<\/h1><section class="map" data-inline data-index="\d+"[^>]*>.*data-host="host-&lt;1&gt;".*<\/section><span id="inline-map-end" hidden><\/span>$/s);
  });

  it('serves only listed files: traversal, encoded slashes, source maps and unknown names get 404', async () => {
    for (const path of [
      '/ui/../package.json',
      '/ui/%2e%2e/package.json',
      '/ui/core/..%2flive.js',
      '/ui/core/live.js.map',
      '/ui/core/live.ts',
      '/ui/core/../assets.js',
      '/ui//index.html',
      '/ui/INDEX.HTML',
      '/ui/index.html%00.js',
      `/ui/${'a'.repeat(5000)}.js`,
    ]) {
      const r = await send(port, 'GET', path);
      assert.equal(r.status, 404, `${path.slice(0, 60)} → ${r.status}`);
      assert.doesNotMatch(r.body, /"name": "maestro"/);
    }
  });

  it('refuses writes with 405 and says what is allowed', async () => {
    const r = await send(port, 'POST', '/ui/', { 'content-type': 'text/plain' });
    assert.equal(r.status, 405);
    assert.equal(r.headers.allow, 'GET, HEAD');
  });

  it('keeps the API’s web-page guards: a rebound Host and a foreign Origin get 403', async () => {
    const rebound = await send(port, 'GET', '/ui/', { host: `evil.example:${port}` });
    assert.equal(rebound.status, 403);
    assert.equal(JSON.parse(rebound.body).error.code, 'forbidden');
    const foreign = await send(port, 'GET', '/ui/settings.json', { origin: 'http://evil.example' });
    assert.equal(foreign.status, 403);
    const own = await send(port, 'GET', '/ui/settings.json', { origin: `http://127.0.0.1:${port}` });
    assert.equal(own.status, 200);
    assert.deepEqual(JSON.parse(own.body), { zone: 'example', dns: '127.0.0.1:8600' });
  });

  it('leaves the API’s own paths to the API', async () => {
    const r = await send(port, 'GET', '/v1/hosts');
    assert.equal(r.status, 200);
    assert.ok(Array.isArray(JSON.parse(r.body).hosts));
    const unknown = await send(port, 'GET', '/uix');
    assert.equal(unknown.status, 404);
    assert.equal(JSON.parse(unknown.body).error.code, 'not_found');
  });
});

describe('web UI of a token-protected API', () => {
  let h: Harness;
  let port: number;
  before(async () => {
    h = await startHarness({ token: 's3cret' });
    port = h.api.address().port;
  });
  after(() => h.close());

  it('serves the page without the token (it holds no cluster data) but not the settings', async () => {
    const page = await send(port, 'GET', '/ui/');
    assert.equal(page.status, 200);
    // The map is cluster data: behind a token the page asks /ui/map.html for it, with the token.
    assert.doesNotMatch(page.body, /<html lang="en" data-inline-map>|<section class="map"/);
    assert.match(page.body, /fetch\('map\.html'/);
    assert.doesNotMatch(page.body, /<script type="module"|modulepreload/, 'early.js loads the modules');
    assert.equal(page.headers['cache-control'], 'no-cache');
    assert.equal((await send(port, 'GET', '/ui/core/live.js')).status, 200);
    const settings = await send(port, 'GET', '/ui/settings.json');
    assert.equal(settings.status, 401);
    assert.match(settings.headers['www-authenticate'] as string, /^Bearer/);
    const ok = await send(port, 'GET', '/ui/settings.json', { authorization: 'Bearer s3cret' });
    assert.equal(ok.status, 200);
    assert.deepEqual(JSON.parse(ok.body), { zone: 'cluster' });
    assert.equal((await send(port, 'GET', '/v1/hosts')).status, 401, 'the API itself still needs the token');
    const map = await send(port, 'GET', '/ui/map.html');
    assert.equal(map.status, 401);
    assert.match(map.headers['www-authenticate'] as string, /^Bearer/);
    // An empty cluster: its map is an empty section, still HTML.
    const withToken = await send(port, 'GET', '/ui/map.html', { authorization: 'Bearer s3cret' });
    assert.equal(withToken.status, 200);
    assert.match(withToken.body, /^<h1 data-inline>Cluster<\/h1><section class="map"/);
  });

  it('checks the token before it renders the map: a request without it costs no rendering', async () => {
    let rendered = 0;
    const mount = uiMount({ token: 's3cret', port: () => 0, authorize: authorizer('s3cret'), settings: { zone: 'cluster' }, mapHtml: () => `<p>${++rendered}</p>` });
    const server = createServer((req, res) => void (mount(req, res) || res.writeHead(404).end()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const at = (server.address() as AddressInfo).port;
      for (const authorization of [undefined, 'Bearer wrong', 'Basic czNjcmV0']) {
        const r = await send(at, 'GET', '/ui/map.html', authorization ? { authorization } : {});
        assert.equal(r.status, 401, String(authorization));
      }
      assert.equal(rendered, 0);
      const r = await send(at, 'GET', '/ui/map.html', { authorization: 'Bearer s3cret' });
      assert.deepEqual([r.status, r.body, rendered], [200, '<p>1</p>', 1]);
      // No HTML for it (mapHtml undefined): 204, with neither a body nor a Content-Length (RFC 9110 §8.6).
      const none = uiMount({ token: 's3cret', port: () => 0, authorize: authorizer('s3cret'), settings: { zone: 'cluster' }, mapHtml: () => undefined });
      server.removeAllListeners('request');
      server.on('request', (req, res) => void (none(req, res) || res.writeHead(404).end()));
      const empty = await send(at, 'GET', '/ui/map.html', { authorization: 'Bearer s3cret' });
      assert.deepEqual([empty.status, empty.body, empty.headers['content-length']], [204, '', undefined]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
