/**
 * `maestro run` follows its job with blocking queries, not polling: through a relay that records
 * every request, each read after the first carries `index` (the X-Maestro-Index it last saw) and a
 * `wait`, and run still ends when the replica turns healthy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import { seedRun, startHarness, registerHost } from '../api/helpers.js';
import { eventually } from '../support/wait.js';
import { keys } from '../../src/state/index.js';
import { maestro, tempFile } from './helpers.js';

test('maestro run reads its job with ?index=&wait= after the first answer', async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  await registerHost(h.catalog, 'node-1');
  const api = new URL(h.base);
  const urls: string[] = [];
  const relay = createServer((req, res) => {
    urls.push(`${req.method} ${req.url}`);
    const up = request({ host: api.hostname, port: api.port, path: req.url, method: req.method, headers: { ...req.headers, host: api.host } }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => relay.close(() => resolve())));
  const port = (relay.address() as { port: number }).port;

  const file = tempFile('web.yaml', 'name: web\nimage: busybox\n');
  const running = maestro(['run', file, '--timeout', '20s'], { MAESTRO_ADDR: `http://127.0.0.1:${port}` });
  await eventually(async () => (await h.catalog.kvGet(keys.job('web'))).value, 10_000, 'the job');
  await eventually(() => urls.some((u) => u.includes('index=')), 10_000, 'a blocking read');
  await seedRun(h.catalog, 'web', 1, [{ ordinal: 0, host: 'node-1', state: 'running', healthy: true }]);
  const r = await running;
  assert.equal(r.code, 0, r.stderr);
  const reads = urls.filter((u) => u.startsWith('GET /v1/jobs/web'));
  assert.ok(reads.length >= 2, reads.join('\n'));
  for (const u of reads.slice(1)) assert.match(u, /[?&]index=\d+&wait=\d+ms/, 'every read after the first blocks');
});
