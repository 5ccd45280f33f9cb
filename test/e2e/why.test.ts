/**
 * Why a replica fails, as a user sees it: `maestro up`, then the built CLI runs three broken jobs on
 * the real Docker daemon — an image that cannot be pulled, a container that exits with code 3, and a
 * server whose health check (run by the agent, from the host) fails. Each must make `maestro run`
 * exit 1 with its reason, and show that reason in `maestro ps` and its events in `maestro status`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AllocView } from '../../src/api/index.js';
import { dockerOrSkip, TEST_IMAGE } from '../support/docker.js';
import { eventually } from '../support/wait.js';
import { cli, cliJson, jobFile, removeJobsAfter, startUp } from './support.js';

const suffix = Math.random().toString(36).slice(2, 7);

/**
 * `maestro ps JOB` until one of the rows of `instance` matches: a failed allocation is listed, with
 * its reason, while its replica waits out the restart back-off (then its replacement starts).
 */
async function psRow(api: string, job: string, re: RegExp): Promise<string> {
  let last = '';
  return eventually(async () => {
    last = (await cli(api, ['ps', job])).stdout;
    return last.split('\n').filter((l) => l.startsWith(`${job}-0 `)).some((r) => re.test(r)) ? last : undefined;
  }, 60_000, `a ps row of ${job}-0 matching ${re} (last:\n${last})`);
}

test('a missing image, an exit with code 3 and a failing health check each fail `maestro run` with their reason, shown by ps and status', { timeout: 300_000 }, async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const missing = `nopull${suffix}`;
  const exits = `exit3${suffix}`;
  const sick = `sick${suffix}`;
  removeJobsAfter(t, missing, exits, sick);
  const m = await startUp(t);

  // A registry on a loopback port nothing listens on: the daemon's pull fails at once, with its message.
  const missingSpec = `name: ${missing}\nimage: localhost:1/maestro/missing:1\nresources: { cpu: 10, memory: 16 }\n`;
  const exitsSpec = `name: ${exits}
image: ${TEST_IMAGE}
command: ["sh", "-c", "echo starting up; echo 'fatal: no config at /etc/app.conf' >&2; exit 3"]
resources: { cpu: 10, memory: 16 }
`;
  // httpd serves / but has no /health: the agent's check gets 404 (the image has no wget to matter).
  const sickSpec = `name: ${sick}
image: ${TEST_IMAGE}
command: ["sh", "-c", "echo up > /www/index.html && exec httpd -f -p 80 -h /www"]
ports: [{ name: http, container: 80 }]
resources: { cpu: 10, memory: 16 }
health: { http: /health, interval: 500ms, timeout: 500ms }
`;
  const began = Date.now();
  const [a, b, c] = await Promise.all([
    cli(m.api, ['run', jobFile(t, missing, missingSpec), '--timeout', '120s']),
    cli(m.api, ['run', jobFile(t, exits, exitsSpec), '--timeout', '120s']),
    cli(m.api, ['run', jobFile(t, sick, sickSpec), '--timeout', '120s']),
  ]);

  assert.equal(a.code, 1, `${a.stdout}\n${a.stderr}`);
  assert.match(a.stderr, new RegExp(`error: job ${missing}: ${missing}-0 is crash-looping \\(\\d+ failures in a row\\): image pull failed: .*localhost:1/maestro/missing:1.*(refused|connect)`));
  assert.equal(b.code, 1, `${b.stdout}\n${b.stderr}`);
  assert.match(b.stderr, new RegExp(`error: job ${exits}: ${exits}-0 is crash-looping \\(\\d+ failures in a row\\): exited with code 3: .*fatal: no config at /etc/app.conf`));
  assert.match(b.stderr, /starting up/);
  assert.equal(c.code, 1, `${c.stdout}\n${c.stderr}`);
  assert.match(c.stderr, new RegExp(`error: job ${sick}: ${sick}-0 is unhealthy: health check failing: HTTP 404 Not Found`));

  t.diagnostic(`maestro run gave up on the three jobs after ${((Date.now() - began) / 1000).toFixed(1)}s`);
  // ps: the state in words and the reason, per replica.
  const psMissing = await psRow(m.api, missing, /\sfailed\s+no\s.*image pull failed: .*localhost:1\/maestro\/missing:1/);
  const psExits = await psRow(m.api, exits, /\sfailed\s+no\s.*exited with code 3: .*fatal: no config at \/etc\/app\.conf/);
  const psSick = await psRow(m.api, sick, /\sunhealthy\s+no\s.*health check failing: HTTP 404 Not Found/);
  assert.doesNotMatch(psMissing + psExits + psSick, /\(stopping\)/);

  // The API carries the same: last event, reason, and the check's output.
  const [sickAlloc] = (await cliJson<AllocView[]>(m.api, ['ps', sick])).filter((x) => x.desired === 'run');
  assert.ok(sickAlloc, 'the unhealthy replica keeps running');
  assert.equal(sickAlloc.status, 'unhealthy');
  assert.equal(sickAlloc.check?.status, 'critical');
  assert.match(sickAlloc.check!.output, /^HTTP 404 Not Found/);
  assert.equal(sickAlloc.lastEvent?.type, 'unhealthy');
  // A failed allocation is listed while its replica waits out the back-off, then gives way to its replacement.
  await eventually(async () => {
    const exitAllocs = await cliJson<AllocView[]>(m.api, ['ps', exits]);
    return exitAllocs.some((x) => x.status === 'failed' && x.lastEvent?.type === 'exited' && /code 3/.test(x.lastEvent.message) && x.failures! >= 1);
  }, 60_000, 'a failed allocation with its exited event in /v1/allocations');

  // status: each replica's recent events with their times (while the failed one waits to restart).
  let last = '';
  await eventually(async () => {
    last = (await cli(m.api, ['status', exits])).stdout;
    // stdout and stderr lines written at once may come back from Docker in either order.
    return /\(\d+[smh] ago\)\s+exited\s+exited with code 3; last output:\n\s+(starting up|fatal: no config at \/etc\/app\.conf)\n/.test(last);
  }, 60_000, 'an exited event with its output in maestro status').catch((err: Error) => assert.fail(`${err.message}; last:\n${last}`));
  assert.match(last, /Recent events:\n/);
  assert.match(last, /\n    \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(\d+[smh] ago\)  exited {12}exited with code 3/);
  const sickStatus = await cli(m.api, ['status', sick]);
  assert.match(sickStatus.stdout, /started\s+started; waiting for the health check\n.*unhealthy\s+health check failing: HTTP 404 Not Found/s);
});
