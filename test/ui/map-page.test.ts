/**
 * The real page in chromium, on a real API whose records carry hostile names (as any writer of the
 * catalog could leave them: markup, quotes, references, CR, NUL, a lone surrogate): the map shows
 * every replica with its values exactly as they were (text nodes and attributes), runs no script error, injects no
 * element, and the CSP reports nothing. A lone surrogate in a job name used to throw from the
 * replica's link (encodeURIComponent) and leave the map unrendered.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { keys } from '../../src/state/index.js';
import { jobHref } from '../../src/ui/core/map.js';
import { startHarness, type Harness } from '../api/helpers.js';
import { browserOrSkip, openPage } from './browser.js';

// No '/' in them: it separates the parts of a catalog key.
const JOBS = ['<img src=x onerror="window.pwned=1">', '"><svg onload=window.pwned=2><script>window.pwned=3', "it's & &amp; &#0; &lt", 'cr\r\nlf', 'nul\0x', 'lone\ud800x', 'plain'];

describe('the map page with hostile names', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    const session = await h.catalog.createSession({ name: 'host-n1', ttlMs: 60_000 });
    await h.catalog.registerHost({ name: 'n1<b>"', address: '10.0.0.1', meta: { '<i>': '"&amp;' }, capacity: { cpu: 1000, memory: 1000 } }, session);
    for (const [i, job] of JOBS.entries()) {
      const id = `a${i}-${job}`;
      await h.catalog.kvPut(keys.alloc('n1<b>"', id), JSON.stringify({ id, job, ordinal: 0, host: 'n1<b>"', jobVersion: 1, desired: 'run', createdAt: 0 }));
      await h.catalog.kvPut(keys.allocStatus('n1<b>"', id), JSON.stringify({ allocId: id, state: i % 2 ? 'failed' : 'running', healthy: i % 2 === 0, containerIds: [], updatedAt: 0, events: [], ...(i % 2 ? { message: `exited: ${job}` } : {}) }));
    }
  });
  after(() => h?.close());

  it('shows every replica, its values as text, and nothing else', async (t) => {
    const browser = await browserOrSkip(t);
    if (!browser) return;
    const { page, problems } = await openPage(browser);
    const violations: string[] = [];
    page.on('console', (msg) => { if (/Content Security Policy/i.test(msg.text())) violations.push(msg.text()); });
    // The view's index only grows: wait until the API lists every record written above.
    for (let i = 0; ; i++) {
      const res = await fetch(`${h.base}/v1/map`);
      if (((await res.json()) as { replicas: unknown[] }).replicas.length === JOBS.length) break;
      assert.ok(i < 30, 'the API lists the written replicas');
      await fetch(`${h.base}/v1/map?index=${res.headers.get('x-maestro-index')}&wait=1s`);
    }
    // NUL and a lone surrogate have no HTML form: the server leaves the map to the page (map-html.ts).
    assert.doesNotMatch(await (await fetch(`${h.base}/ui/`)).text(), /<html lang="en" data-inline-map>/);
    assert.equal((await fetch(`${h.base}/ui/map.html`)).status, 204, 'nor as /ui/map.html (behind a token)');
    await page.goto(`${h.base}/ui/`);
    // A script error or the view's error box fails at once (the map would never complete), not after the wait's timeout.
    const pageError = page.waitForEvent('pageerror', { timeout: 0 }).then((err) => { throw err; });
    const errorBox = page.waitForSelector('#view .error', { timeout: 0 }).then(async (el) => { throw new Error(`the map shows an error: ${await el.textContent()}`); });
    pageError.catch(() => {});
    errorBox.catch(() => {});
    await Promise.race([page.waitForSelector('section.map[data-complete] .replica', { timeout: 60_000 }), pageError, errorBox]);
    const got = await page.evaluate(() => {
      const g = globalThis as any;
      return {
        pwned: g.pwned ?? null,
        injected: g.document.querySelectorAll('#view img, #view svg, #view script, #view i, #view b').length,
        host: g.document.querySelector('.host')?.getAttribute('data-host'),
        chips: [...g.document.querySelectorAll('.host .chip')].map((c: any) => c.textContent),
        replicas: [...g.document.querySelectorAll('.replica')].map((a: any) => [a.textContent, a.getAttribute('data-instance'), a.getAttribute('data-status'), a.getAttribute('href'), a.getAttribute('title')]),
      };
    });
    assert.equal(got.pwned, null);
    assert.equal(got.injected, 0);
    assert.equal(got.host, 'n1<b>"');
    assert.deepEqual(got.chips, ['<i>="&amp;']);
    // Replicas of one host are in job order (code units), as the page sorts them.
    const expected = JOBS.map((job, i) => ({ job, i })).sort((a, b) => (a.job < b.job ? -1 : a.job > b.job ? 1 : 0)).map(({ job, i }) => {
      const status = i % 2 ? 'failed' : 'running';
      return [`${job}-0`, `${job}-0`, status, jobHref(job), `${job}-0 (a${i}-${job}): ${status}${i % 2 ? ` — exited: ${job}` : ''}`];
    });
    assert.deepEqual(got.replicas, expected);
    assert.deepEqual(problems(), []);
    assert.deepEqual(violations, []);
    await page.close();
  });
});
