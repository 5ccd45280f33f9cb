/**
 * The web UI in a real browser (chromium) against a real `maestro up` with real containers: the map
 * shows the host and the replicas, a killed container's change appears without a reload, a job is
 * scaled from the page, a replica's log is followed, jobs are filtered with a selector, services
 * show a dig line that a real dig answers, and a page of another origin still cannot act.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { docker, dockerOrSkip, TEST_IMAGE } from '../support/docker.js';
import { cli, cliJson, defer, jobFile, removeJobsAfter, startUp } from '../e2e/support.js';
import { browserOrSkip, openPage, textOf } from './browser.js';

const exec = promisify(execFile);
// These run in the page (playwright serialises them); the project's type-check has no DOM library.
declare const document: any;
declare const window: any;

function jobYaml(name: string, tier: string, count: number): string {
  return `name: ${name}
image: ${TEST_IMAGE}
command: ["sh", "-c", "echo hello from $MAESTRO_INSTANCE; echo oops >&2; hostname > /www/index.html; exec httpd -f -p 80 -h /www"]
count: ${count}
ports:
  - { name: http, container: 80 }
labels: { tier: ${tier} }
resources: { cpu: 10, memory: 32 }
`;
}

test('the web UI follows a real cluster: map, kill, scale, logs, selector, services, foreign pages', { timeout: 420_000 }, async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const browser = await browserOrSkip(t);
  if (!browser) return;
  const id = Math.random().toString(36).slice(2, 7);
  const web = `uiw${id}`;
  const db = `uid${id}`;
  removeJobsAfter(t, web, db);
  const m = await startUp(t);
  for (const [name, tier] of [[web, 'web'], [db, 'db']] as const) {
    const run = await cli(m.api, ['run', jobFile(t, name, jobYaml(name, tier, 1)), '--timeout', '120s']);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  }
  const { page, problems } = await openPage(browser);

  // The root redirects to the page; the map shows this host (alive) with both replicas running.
  await page.goto(`${m.api}/`);
  assert.equal(new URL(page.url()).pathname, '/ui/');
  await page.waitForSelector(`.host.alive[data-host="${m.host}"] .replica[data-instance="${web}-0"][data-status="running"]`, { timeout: 60_000 });
  await page.waitForSelector(`.host[data-host="${m.host}"] .replica[data-instance="${db}-0"]`);
  assert.match(await textOf(page, `.host[data-host="${m.host}"] .badge`), /alive/);
  const before = await page.getAttribute(`.replica[data-instance="${web}-0"]`, 'data-alloc');
  assert.ok(before);

  // Kill its container: the page shows the change without reloading.
  await page.evaluate(() => (window.noReload = 1));
  const [container] = (await docker(['ps', '-q', '--filter', `label=maestro.alloc=${before}`])).split('\n').filter(Boolean);
  assert.ok(container, 'the replica’s container runs');
  await docker(['kill', container!]);
  await page.waitForFunction(({ alloc, instance }) => {
    const old = document.querySelector(`.replica[data-alloc="${alloc}"]`);
    const now = document.querySelector(`.replica[data-instance="${instance}"]`);
    return (old !== null && old.getAttribute('data-status') !== 'running') || (old === null && now !== null);
  }, { alloc: before!, instance: `${web}-0` }, { timeout: 90_000, polling: 100 });
  assert.equal(await page.evaluate(() => window.noReload), 1, 'the page was not reloaded');

  // Jobs filtered with a selector, from the page's box; a bad selector gets the API's message.
  await page.click('nav a[data-view="jobs"]');
  await page.waitForSelector(`tr[data-job="${web}"]`);
  await page.fill('#selector', 'tier=db');
  await page.waitForFunction((name) => !document.querySelector(`tr[data-job="${name}"]`), web, { timeout: 30_000 });
  await page.waitForSelector(`tr[data-job="${db}"]`);
  assert.equal(await page.locator('table.jobs tbody tr[data-job]').count(), 1);
  assert.match(page.url(), /#\/jobs\?selector=tier%3Ddb$/);
  await page.fill('#selector', 'tier in (');
  assert.match(await textOf(page, '.problem .error'), /selector/i);

  // Scale from the job page: a second replica appears and runs.
  await page.goto(`${m.api}/ui/#/jobs/${web}`);
  await page.fill('#scale-count', '2');
  await page.click('#scale');
  await page.waitForSelector(`tr[data-instance="${web}-1"][data-status="running"]`, { timeout: 120_000 });
  assert.match(await textOf(page, 'p.status'), /scale to 2: done/);

  // A replica's log, followed live.
  await page.click(`tr[data-instance="${web}-1"][data-status="running"] a.logs`);
  await page.waitForFunction((inst) => document.querySelector('pre.log')?.textContent?.includes(`hello from ${inst}`), `${web}-1`, { timeout: 30_000 });
  assert.match(await textOf(page, 'pre.log .stderr'), /oops/);
  await page.waitForSelector('p.status[data-following]');

  // Services: the DNS names with a dig line that a real dig answers with this host's address.
  await page.goto(`${m.api}/ui/#/services`);
  const line = await textOf(page, `.service[data-service="${web}"] .dig-line`);
  assert.match(line, new RegExp(`^dig @127\\.0\\.0\\.1 -p \\d+ ${web}\\.service\\.cluster A$`));
  const words = line.split(' ');
  const { stdout } = await exec(words[0]!, [...words.slice(1), '+short', '+time=2', '+tries=2']);
  assert.deepEqual([...new Set(stdout.trim().split('\n'))], ['127.0.0.1']);

  assert.deepEqual(problems(), [], 'no script error or CSP violation on the UI');

  // A page of another origin cannot scale the job: its simple POST and its JSON POST are refused.
  const foreign = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>evil</title>'));
  await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
  defer(t, () => new Promise((resolve) => foreign.close(resolve)));
  await page.goto(`http://localhost:${(foreign.address() as AddressInfo).port}/`);
  const outcome = await page.evaluate(async (url) => {
    const simple = await fetch(url, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: '{"count":9}' }).then(() => 'sent', (e) => `failed: ${e}`);
    const json = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"count":9}' }).then((r) => `status ${r.status}`, () => 'blocked');
    return { simple, json };
  }, `${m.api}/v1/jobs/${web}/scale`);
  assert.equal(outcome.json, 'blocked', 'the preflight is never granted');
  const jobs = await cliJson<Array<{ name: string; wanted: number }>>(m.api, ['jobs']);
  assert.equal(jobs.find((j) => j.name === web)?.wanted, 2, `the foreign page changed nothing (${outcome.simple})`);
});
