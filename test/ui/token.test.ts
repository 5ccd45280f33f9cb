/**
 * The web UI of a token-protected API, in a real browser against a real `maestro up --api-token`:
 * the page asks for the token, says when it is wrong, shows the cluster once it is right, and keeps
 * it for the tab (sessionStorage) across a reload, but not for a new tab.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dockerOrSkip } from '../support/docker.js';
import { startUp } from '../e2e/support.js';
import { browserOrSkip, openPage } from './browser.js';

declare const sessionStorage: any;

test('a token-protected API makes the page ask for the token, once per tab', { timeout: 180_000 }, async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const browser = await browserOrSkip(t);
  if (!browser) return;
  const token = `tok-${Math.random().toString(36).slice(2)}`;
  const m = await startUp(t, { extra: ['--api-token', token] });
  const { page, problems } = await openPage(browser);

  await page.goto(`${m.api}/ui/`);
  await page.waitForSelector('#token-dialog[open]', { timeout: 60_000 });
  assert.equal(await page.locator('.host').count(), 0, 'nothing of the cluster is shown without the token');
  await page.fill('#token-input', 'wrong');
  await page.press('#token-input', 'Enter');
  await page.waitForSelector('#token-error:not([hidden])', { timeout: 30_000 });
  assert.match((await page.textContent('#token-error')) ?? '', /refused/);
  await page.fill('#token-input', token);
  await page.press('#token-input', 'Enter');
  await page.waitForSelector(`.host.alive[data-host="${m.host}"]`, { timeout: 60_000 });
  assert.equal(await page.locator('#token-dialog[open]').count(), 0);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('maestro.token')), token);

  // A reload keeps it (same tab); a new tab (another session) asks again.
  await page.reload();
  await page.waitForSelector(`.host.alive[data-host="${m.host}"]`, { timeout: 60_000 });
  assert.equal(await page.locator('#token-dialog[open]').count(), 0);
  const other = await openPage(browser);
  await other.page.goto(`${m.api}/ui/#/jobs`);
  await other.page.waitForSelector('#token-dialog[open]', { timeout: 60_000 });
  assert.deepEqual([...problems(), ...other.problems()], []);
});
