/**
 * The map the API puts in the page (src/ui/map-html.ts) against the map the page builds itself
 * (view-map.js, map-dom.js), in chromium, for the same records: the browser parses the server's HTML and the
 * two DOMs must be the same, element for element and attribute for attribute, with hostile names
 * (markup, quotes, references, CR LF, an ampersand run). The page adopts the server's map: no
 * request for /v1/map until the cluster changes, and then the change shows without a reload.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { keys } from '../../src/state/index.js';
import { startHarness, type Harness } from '../api/helpers.js';
import { browserOrSkip, openPage } from './browser.js';

// Strings HTML text can carry exactly (NUL and lone surrogates cannot: map-page.test.ts has them,
// and there the page builds the map itself).
const JOBS = ['<img src=x onerror="window.pwned=1">', '"><svg onload=window.pwned=2><script>window.pwned=3', "it's & &amp; &#0; &lt", 'cr\r\nlf', 'tab\tand\u00a0nbsp', 'plain'];
const HOST = 'n1<b>"&amp;';
const BULK_HOSTS = 45;

describe('the map the server puts in the page', () => {
  let h: Harness;
  let session: string;
  const put = async (i: number, state: string) => {
    const job = JOBS[i]!;
    const id = `a${i}-${job}`;
    await h.catalog.kvPut(keys.alloc(HOST, id), JSON.stringify({ id, job, ordinal: 0, host: HOST, jobVersion: 1, desired: 'run', createdAt: 0 }));
    await h.catalog.kvPut(keys.allocStatus(HOST, id), JSON.stringify({ allocId: id, state, healthy: state === 'running', containerIds: [], updatedAt: 0, events: [], ...(state === 'failed' ? { message: `exited: ${job}` } : {}) }));
  };
  /** Waits until /v1/map has `count` replicas, the last in `state`; returns the index. */
  const listed = async (count: number, lastState: string): Promise<void> => {
    for (let i = 0; ; i++) {
      const res = await fetch(`${h.base}/v1/map`);
      const replicas = ((await res.json()) as { replicas: string[][] }).replicas;
      if (replicas.length === BULK_HOSTS * 20 + count && replicas.some((r) => r[3] === `a${count - 1}-${JOBS[count - 1]}` && r[4] === lastState)) return;
      assert.ok(i < 30, 'the API lists the written replicas');
      await fetch(`${h.base}/v1/map?index=${res.headers.get('x-maestro-index')}&wait=1s`);
    }
  };
  before(async () => {
    h = await startHarness();
    session = await h.catalog.createSession({ name: 'host-n1', ttlMs: 60_000 });
    await h.catalog.registerHost({ name: HOST, address: '10.0.0.1', meta: { '<i>': '"&amp;', 'cr\r': 'x\r\n' }, capacity: { cpu: 1000, memory: 1000 } }, session);
    // Enough hosts that some come after the page's first frame (map-html.ts: in a template).
    for (let n = 0; n < BULK_HOSTS; n++) {
      const name = `h${String(n).padStart(2, '0')}`;
      await h.catalog.registerHost({ name, address: `10.0.1.${n}`, meta: {}, capacity: { cpu: 1000, memory: 1000 } }, session);
      for (let o = 0; o < 20; o++) {
        const id = `${name}-bulk-${o}`;
        await h.catalog.kvPut(keys.alloc(name, id), JSON.stringify({ id, job: 'bulk', ordinal: o, host: name, jobVersion: 1, desired: 'run', createdAt: 0 }));
        await h.catalog.kvPut(keys.allocStatus(name, id), JSON.stringify({ allocId: id, state: 'running', healthy: true, containerIds: [], updatedAt: 0, events: [] }));
      }
    }
    for (let i = 0; i < JOBS.length - 1; i++) await put(i, i % 2 ? 'failed' : 'running');
    await listed(JOBS.length - 1, (JOBS.length - 2) % 2 ? 'failed' : 'running');
  });
  after(() => h?.close());

  it('is the DOM the page builds, adopted without a request, and follows a change', async (t) => {
    const browser = await browserOrSkip(t);
    if (!browser) return;
    const served = await (await fetch(`${h.base}/ui/`)).text();
    assert.match(served, /<html lang="en" data-inline-map>/, 'a token-less API puts the map in the page');
    assert.match(served, /data-rest="\d+"/, 'the hosts past the first screen are left to the page');
    assert.doesNotMatch(served, /data-host="n1/, 'the last host is one of them');
    const { page, problems } = await openPage(browser);
    const mapRequests: string[] = [];
    page.on('request', (r) => { if (r.url().includes('/v1/map')) mapRequests.push(r.url()); });
    await page.goto(`${h.base}/ui/`);
    // Adopted: the page's script took the server's section (and dropped its data-index).
    await page.waitForSelector('section.map[data-complete]:not([data-index]) .replica', { timeout: 60_000 });
    await page.waitForSelector('#live[data-mode="blocking"]', { timeout: 60_000 });
    const snapshot = () => page.evaluate(() => {
      const g = globalThis as any;
      const section = g.document.querySelector('section.map');
      return { html: section.innerHTML as string, replicas: section.querySelectorAll('.replica').length as number, hosts: section.querySelectorAll('.host').length as number, pwned: g.pwned ?? null, injected: g.document.querySelectorAll('#view img, #view svg, #view script, #view i, #view b').length as number };
    });
    const inline = await snapshot();
    assert.equal(inline.replicas, BULK_HOSTS * 20 + JOBS.length - 1);
    assert.equal(inline.hosts, BULK_HOSTS + 1);
    assert.equal(inline.pwned, null);
    assert.equal(inline.injected, 0);
    // One request for the hosts left out, then one that waits for a change past the index shown.
    assert.ok(mapRequests.length <= 2 && /\/v1\/map$/.test(mapRequests[0] ?? '') && mapRequests.slice(1).every((u) => /[?&]index=[1-9]\d*&wait=/.test(u)), mapRequests.join(' '));

    // The same records rendered by the page itself: leave the map and come back (a fresh /v1/map).
    await page.evaluate(() => { (globalThis as any).location.hash = '#/services'; });
    await page.waitForSelector('section.map', { state: 'detached', timeout: 60_000 });
    await page.evaluate(() => { (globalThis as any).location.hash = '#/'; });
    await page.waitForSelector('section.map[data-complete] .replica', { timeout: 60_000 });
    const built = await snapshot();
    assert.equal(built.html, inline.html);

    // A change reaches the page without a reload: the first tab (adopted map) is the one that matters.
    const fresh = await openPage(browser);
    await fresh.page.goto(`${h.base}/ui/`);
    await fresh.page.waitForSelector('section.map[data-complete]:not([data-index]) .replica', { timeout: 60_000 });
    await put(JOBS.length - 1, 'failed');
    const last = `${JOBS[JOBS.length - 1]}-0`;
    await fresh.page.waitForSelector(`.replica[data-instance="${last}"][data-status="failed"]`, { timeout: 60_000 });
    assert.deepEqual(problems(), []);
    assert.deepEqual(fresh.problems(), []);
  });

  it('stays hidden when the page opens on another view', async (t) => {
    const browser = await browserOrSkip(t);
    if (!browser) return;
    const { page, problems } = await openPage(browser);
    // Hold the page's script back: until it runs, only the stylesheet keeps the map from showing.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/ui/app.js', async (route) => {
      await held;
      await route.continue();
    });
    // (DOMContentLoaded waits for module scripts: wait for the parsed map instead.)
    await page.goto(`${h.base}/ui/#/services`, { waitUntil: 'commit' });
    await page.waitForSelector('section.map .replica', { state: 'attached', timeout: 60_000 });
    const before = await page.evaluate(() => {
      const g = globalThis as any;
      const section = g.document.querySelector('section.map');
      return { display: section && g.getComputedStyle(section).display, h1: g.getComputedStyle(g.document.querySelector('#view h1')).display };
    });
    assert.deepEqual(before, { display: 'none', h1: 'none' });
    release();
    await page.waitForSelector('#view[data-view="services"]', { timeout: 60_000 });
    await page.waitForFunction(() => !(globalThis as any).document.querySelector('section.map'), undefined, { timeout: 60_000 });
    assert.deepEqual(problems(), []);
  });
});

describe('the map the server puts in the page, with no hosts', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    // A record that is not a host: the view's index moves past 0 and the map it shows is empty.
    await h.catalog.kvPut(keys.job('web'), JSON.stringify({ job: { name: 'web' }, version: 1, submittedAt: 0, stopped: false }));
    for (let i = 0; !/<html lang="en" data-inline-map>/.test(await (await fetch(`${h.base}/ui/`)).text()); i++) {
      assert.ok(i < 30, 'the page carries the (empty) map');
      const res = await fetch(`${h.base}/v1/map`);
      await fetch(`${h.base}/v1/map?index=${res.headers.get('x-maestro-index')}&wait=1s`);
    }
  });
  after(() => h?.close());

  it('still loads the page script (no host name is painted to wait for)', async (t) => {
    const browser = await browserOrSkip(t);
    if (!browser) return;
    const { page, problems } = await openPage(browser);
    await page.goto(`${h.base}/ui/`);
    await page.waitForSelector('#live[data-mode="blocking"]', { timeout: 60_000 });
    assert.equal(await page.textContent('section.map .summary'), '0 hosts · no replicas');
    assert.deepEqual(problems(), []);
  });
});
