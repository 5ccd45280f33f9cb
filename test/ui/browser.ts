/**
 * A real browser for the UI's tests: Debian's chromium driven by playwright-core (which needs no
 * browser download of its own). Without chromium the tests skip with a reason, except under
 * MAESTRO_REQUIRE_BROWSER=1 (set by .ci/run), where they fail.
 */
import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = [process.env.MAESTRO_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => !!p && existsSync(p));

/** Launches chromium (closed after the test), or skips/fails as described above. */
export async function browserOrSkip(t: TestContext): Promise<Browser | undefined> {
  if (!CHROMIUM) {
    if (process.env.MAESTRO_REQUIRE_BROWSER === '1') throw new Error('chromium is required (MAESTRO_REQUIRE_BROWSER=1) but is not installed (apt-get install chromium)');
    t.skip('no chromium (apt-get install chromium, or set MAESTRO_CHROMIUM; MAESTRO_REQUIRE_BROWSER=1 fails instead)');
    return undefined;
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    // Chromium's sandbox cannot start as root (CI and these machines run as root) and refuses to
    // run without --no-sandbox there; the browser only loads Maestro's own page from loopback.
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
  t.after(() => browser.close());
  return browser;
}

/**
 * A new page whose script errors and CSP violations are collected: `problems()` must stay empty
 * (a refused API call the page handles is not a problem; an exception or a blocked script is).
 */
export async function openPage(browser: Browser): Promise<{ page: Page; problems: () => string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    const text = msg.text();
    if (msg.type() === 'error' && !/Failed to load resource: the server responded with a status of (400|401|403|404|503)/.test(text)) problems.push(`console: ${text}`);
  });
  return { page, problems: () => problems };
}

/** Waits (generously: CI is a loaded 2-core machine) for an element, returns its text. */
export async function textOf(page: Page, selector: string, timeout = 60_000): Promise<string> {
  const el = await page.waitForSelector(selector, { timeout });
  return (await el.textContent()) ?? '';
}
