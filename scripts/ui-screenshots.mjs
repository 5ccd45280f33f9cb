#!/usr/bin/env node
// Refreshes the web UI's screenshots in docs/ (shown in README.md): starts `maestro up` from a
// built tree in a temp dir (its own ports, --container-dns off), runs two small jobs with the tests'
// local busybox image, and has Debian's chromium photograph the map, the jobs, a job, the services
// and a replica's log. Needs Docker, busybox-static and chromium.
//   node scripts/ui-screenshots.mjs [BUILD_DIR]     (default dist; e.g. .build/ui)
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const root = resolve(new URL('..', import.meta.url).pathname);
const build = resolve(root, process.argv[2] ?? 'dist');
const main = join(build, 'src/cli/main.js');
const { ensureTestImage, TEST_IMAGE } = await import(join(build, 'test/support/docker.js'));
const chromiumPath = [process.env.MAESTRO_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => p && existsSync(p));
if (!chromiumPath) throw new Error('chromium is needed (apt-get install chromium)');

const dir = mkdtempSync(join(tmpdir(), 'maestro-shots-'));
const jobs = [
  ['web', 'frontend', 3, 'hostname > /www/index.html; echo serving on :80; exec httpd -f -v -p 80 -h /www'],
  ['cache', 'backend', 2, 'echo cache ready; while true; do echo tick $(date); sleep 2; done'],
];
const until = async (what, fn, ms = 60_000) => {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 200))) if (await fn().catch(() => false)) return;
  throw new Error(`timed out waiting for ${what}`);
};
await ensureTestImage();
const up = spawn(process.execPath, [main, 'up', '--data-dir', dir, '--host', 'node-1', '--advertise', '127.0.0.1', '--dns-addr', '127.0.0.1:0',
  '--http-addr', '127.0.0.1:0', '--api-addr', '127.0.0.1:0', '--proxy-bind', '127.0.0.1', '--container-dns', 'off', '--meta', 'disk=ssd', '--meta', 'zone=a'], { stdio: 'ignore' });
const cleanup = () => {
  up.kill('SIGTERM');
  for (const [name] of jobs) {
    const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=maestro.job=${name}`, '--filter', 'label=maestro.host=node-1']).toString().split('\n').filter(Boolean);
    if (ids.length) execFileSync('docker', ['rm', '-f', ...ids]);
  }
  rmSync(dir, { recursive: true, force: true });
};
try {
  await until('maestro up', async () => existsSync(join(dir, 'addresses.json')));
  const api = `http://${JSON.parse(readFileSync(join(dir, 'addresses.json'), 'utf8')).api}`;
  for (const [name, tier, count, script] of jobs) {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, `name: ${name}\nimage: ${TEST_IMAGE}\ncommand: ["sh", "-c", ${JSON.stringify(script)}]\ncount: ${count}\nports:\n  - { name: http, container: 80 }\nlabels: { tier: ${tier}, env: prod }\nresources: { cpu: 100, memory: 64 }\n`);
    execFileSync(process.execPath, [main, 'run', file, '--api', api, '--timeout', '120s'], { stdio: 'inherit' });
  }
  // A second version of web (more replicas, an env var), for the history and its diff.
  const v2 = join(dir, 'web.yaml');
  writeFileSync(v2, readFileSync(v2, 'utf8').replace('count: 3', 'count: 4\nenv: { GREETING: hello }'));
  execFileSync(process.execPath, [main, 'run', v2, '--api', api, '--timeout', '120s'], { stdio: 'inherit' });
  const browser = await chromium.launch({ executablePath: chromiumPath, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] }); // root: see test/ui/browser.ts
  const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
  const shoot = async (hash, ready, file) => {
    await page.goto(`${api}/ui/${hash}`);
    await page.waitForSelector(ready, { timeout: 120_000 });
    await page.screenshot({ path: join(root, 'docs', file) });
    console.log(`docs/${file}`);
  };
  await shoot('#/', '.replica[data-instance="web-3"][data-status="running"]', 'ui-map.png');
  await shoot('#/jobs', 'tr[data-job="cache"]', 'ui-jobs.png');
  await shoot('#/jobs/web', 'tr[data-instance="web-3"][data-status="running"]', 'ui-job.png');
  await shoot('#/services', '.service[data-service="web"] .dig-line', 'ui-services.png');
  await shoot('#/logs/cache-0', 'pre.log span.stdout', 'ui-logs.png');
  await browser.close();
} finally {
  cleanup();
}
