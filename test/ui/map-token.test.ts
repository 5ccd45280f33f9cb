/**
 * The map behind a token, in chromium: the page cannot carry it (a navigation has no bearer token),
 * so early.js asks /ui/map.html with the token the tab keeps and puts the server's markup into the
 * page before the modules load; the map view adopts it (the hosts past the first screen from one
 * /v1/map, then a blocking wait), and it is the DOM the page builds itself for the same records. A
 * wrong token falls back to the page's own path: it asks for the token, then shows the map.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { keys } from '../../src/state/index.js';
import { startHarness, type Harness } from '../api/helpers.js';
import { browserOrSkip, openPage } from './browser.js';

const TOKEN = 'map-s3cret';
const HOSTS = 36; // more than the first screen's 30 (map-html.ts): some come from /v1/map
const REPLICAS = 20;

describe('the map behind a token', () => {
  let h: Harness;
  const auth = { authorization: `Bearer ${TOKEN}` };
  before(async () => {
    h = await startHarness({ token: TOKEN });
    const session = await h.catalog.createSession({ name: 'hosts', ttlMs: 60_000 });
    for (let n = 0; n < HOSTS; n++) {
      const name = `h${String(n).padStart(2, '0')}<&>`;
      await h.catalog.registerHost({ name, address: `10.0.2.${n}`, meta: { 'q"': '<x>' }, capacity: { cpu: 1000, memory: 1000 } }, session);
      for (let o = 0; o < REPLICAS; o++) {
        const id = `${name}-r${o}`;
        await h.catalog.kvPut(keys.alloc(name, id), JSON.stringify({ id, job: `job "${o % 3}"`, ordinal: o, host: name, jobVersion: 1, desired: 'run', createdAt: 0 }));
        await h.catalog.kvPut(keys.allocStatus(name, id), JSON.stringify({ allocId: id, state: o % 4 ? 'running' : 'failed', healthy: o % 4 !== 0, containerIds: [], updatedAt: 0, events: [], ...(o % 4 ? {} : { message: 'exited: <1>' }) }));
      }
    }
    // The view's index only grows: wait until /v1/map lists every replica written above.
    for (let i = 0; ; i++) {
      const res = await fetch(`${h.base}/v1/map`, { headers: auth });
      if (((await res.json()) as { replicas: unknown[] }).replicas.length === HOSTS * REPLICAS) break;
      assert.ok(i < 30, 'the API lists the written replicas');
      await fetch(`${h.base}/v1/map?index=${res.headers.get('x-maestro-index')}&wait=1s`, { headers: auth });
    }
  });
  after(() => h?.close());

  it('comes from /ui/map.html before the modules, is adopted, and is the DOM the page builds', async (t) => {
    const browser = await browserOrSkip(t);
    if (!browser) return;
    const { page, problems } = await openPage(browser);
    await page.addInitScript((token) => (globalThis as any).sessionStorage.setItem('maestro.token', token), TOKEN);
    const requests: Array<{ url: string; auth?: string }> = [];
    page.on('request', (r) => { if (/\/ui\/map\.html|\/v1\/map|\/ui\/app\.js/.test(r.url())) requests.push({ url: r.url(), auth: r.headers().authorization }); });
    await page.goto(`${h.base}/ui/`);
    await page.waitForSelector('section.map[data-complete]:not([data-index]) .replica', { timeout: 60_000 });
    await page.waitForSelector('#live[data-mode="blocking"]', { timeout: 60_000 });
    const paths = requests.map((r) => new URL(r.url).pathname + new URL(r.url).search);
    // The markup first, with the token, and only then the modules; then the hosts left out, then a wait.
    assert.equal(paths[0], '/ui/map.html', paths.join(' '));
    assert.equal(requests[0]!.auth, `Bearer ${TOKEN}`);
    assert.equal(paths[1], '/ui/app.js', paths.join(' '));
    assert.equal(paths[2], '/v1/map', paths.join(' '));
    assert.ok(paths.slice(3).every((p) => /^\/v1\/map\?index=[1-9]\d*&wait=/.test(p)), paths.join(' '));
    const snapshot = () => page.evaluate(() => {
      const g = globalThis as any;
      const section = g.document.querySelector('section.map');
      return { html: section.innerHTML as string, hosts: section.querySelectorAll('.host').length as number, replicas: section.querySelectorAll('.replica').length as number, inserted: g.performance.getEntriesByName('maestro-map-inserted').length as number };
    });
    const adopted = await snapshot();
    assert.deepEqual([adopted.hosts, adopted.replicas, adopted.inserted], [HOSTS, HOSTS * REPLICAS, 1]);
    // The same records rendered by the page itself: leave the map and come back (a fresh /v1/map).
    await page.evaluate(() => { (globalThis as any).location.hash = '#/jobs'; });
    await page.waitForSelector('section.map', { state: 'detached', timeout: 60_000 });
    await page.evaluate(() => { (globalThis as any).location.hash = '#/'; });
    await page.waitForSelector('section.map[data-complete] .replica', { timeout: 60_000 });
    assert.equal((await snapshot()).html, adopted.html);
    assert.deepEqual(problems(), []);
  });

  it('with a wrong token, asks for the token and then shows the map', async (t) => {
    const browser = await browserOrSkip(t);
    if (!browser) return;
    const { page, problems } = await openPage(browser);
    await page.addInitScript(() => (globalThis as any).sessionStorage.setItem('maestro.token', 'stale'));
    const refused: string[] = [];
    page.on('response', (r) => { if (r.status() === 401) refused.push(new URL(r.url()).pathname); });
    await page.goto(`${h.base}/ui/`);
    await page.waitForSelector('#token-dialog[open]', { timeout: 60_000 });
    assert.equal(await page.locator('.host').count(), 0, 'no map before the token');
    await page.fill('#token-input', TOKEN);
    await page.click('#token-dialog button[type="submit"]');
    await page.waitForSelector('section.map[data-complete] .replica', { timeout: 60_000 });
    assert.equal(await page.locator('.replica').count(), HOSTS * REPLICAS);
    assert.ok(refused.includes('/ui/map.html') && refused.includes('/v1/map'), refused.join(' '));
    assert.deepEqual(problems(), []);
  });
});
