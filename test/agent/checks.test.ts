/** The pure part of the agent's checks (targets, thresholds) and the runner over a scripted probe. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyOutcome, checkSpecOf, checkTargets, FAILURES_BEFORE_CRITICAL, initialResult, probeAddress, type CheckTarget } from '../../src/agent/checks/policy.js';
import type { ProbeResult, Prober } from '../../src/agent/checks/probe.js';
import { CheckRunner } from '../../src/agent/checks/runner.js';
import type { CheckResult } from '../../src/scheduler/types.js';
import { eventually } from '../support/wait.js';
import { alloc, container, job } from './fixtures.js';

const timing = { intervalMs: 1000, timeoutMs: 500 };

test('http and tcp are agent checks; exec (and no health) are not', () => {
  assert.deepEqual(checkSpecOf({ http: 'health', ...timing }), { kind: 'http', path: '/health', ...timing });
  assert.deepEqual(checkSpecOf({ tcp: true, ...timing }), { kind: 'tcp', ...timing });
  assert.equal(checkSpecOf({ exec: ['true'], ...timing }), undefined);
  assert.equal(checkSpecOf(undefined), undefined);
});

test('a check aims at the container IP and port, else at a published binding of that port', () => {
  const a = alloc('web', 0);
  assert.deepEqual(probeAddress(container(a, { ipAddress: '172.17.0.4' }), 80), { host: '172.17.0.4', port: 80 });
  const published = container(a, { ipAddress: '', ports: [{ containerPort: 80, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 32768 }] });
  assert.deepEqual(probeAddress(published, 80), { host: '127.0.0.1', port: 32768 });
  assert.deepEqual(probeAddress({ ...published, ports: [{ containerPort: 80, protocol: 'tcp', hostIp: '10.0.0.5', hostPort: 8080 }] }, 80), { host: '10.0.0.5', port: 8080 });
  assert.equal(probeAddress({ ...published, ports: [{ containerPort: 80, protocol: 'udp', hostIp: '', hostPort: 53 }] }, 80), undefined);
});

test('targets: the pod\'s first container and first tcp port, only while it runs', () => {
  const a = alloc('web', 0);
  const b = alloc('web', 1);
  const j = job('web', { health: { http: '/h', ...timing } }, [
    { name: 'app', ports: [{ name: 'dns', container: 53, protocol: 'udp' }, { name: 'http', container: 8080, protocol: 'tcp' }] },
    { name: 'side' },
  ]);
  const first = container(a, { ipAddress: '172.17.0.7' }, 'app');
  const side = container(a, { ipAddress: '' }, 'side');
  const stopped = container(b, { running: false }, 'app');
  const got = checkTargets([{ allocId: a.id, job: j }, { allocId: b.id, job: j }, { allocId: 'x', job: job('x') }], [side, first, stopped]);
  assert.deepEqual(got, [{ allocId: a.id, containerId: first.id, spec: { kind: 'http', path: '/h', ...timing }, address: { host: '172.17.0.7', port: 8080 } }]);
});

test('thresholds: one pass is passing; failures turn critical only after FAILURES_BEFORE_CRITICAL in a row', () => {
  const o = (ok: boolean, at: number) => ({ ok, output: ok ? 'HTTP 200 OK' : 'connect ECONNREFUSED', at, durationMs: 3 });
  let r = initialResult(undefined, false, 0);
  assert.equal(r.status, 'warning');
  for (let i = 1; i < FAILURES_BEFORE_CRITICAL; i++) {
    r = applyOutcome(r, o(false, i));
    assert.equal(r.status, 'warning', 'a starting replica stays starting');
  }
  r = applyOutcome(r, o(true, 10));
  assert.deepEqual(r, { status: 'passing', output: 'HTTP 200 OK', at: 10, durationMs: 3, failures: 0 });
  r = applyOutcome(r, o(false, 11));
  assert.equal(r.status, 'passing', 'one lost probe does not pull a passing replica');
  assert.equal(r.output, 'connect ECONNREFUSED');
  r = applyOutcome(applyOutcome(r, o(false, 12)), o(false, 13));
  assert.equal(r.status, 'critical');
  assert.equal(r.failures, 3);
  // After an agent restart, the last result of the same container is where the check resumes.
  const kept: CheckResult = { status: 'passing', output: 'HTTP 200 OK', at: 5, durationMs: 1, failures: 0 };
  assert.equal(initialResult(kept, true, 9), kept);
  assert.equal(initialResult(kept, false, 9).status, 'warning');
});

/** A probe answering from a script per address; records calls. */
function scripted(answers: Map<number, ProbeResult[]>): { probe: Prober; calls: number[] } {
  const calls: number[] = [];
  const probe: Prober = async (_spec, address) => {
    calls.push(address.port);
    const list = answers.get(address.port)!;
    return list.length > 1 ? list.shift()! : list[0]!;
  };
  return { probe, calls };
}

const target = (allocId: string, port: number, containerId = `c-${allocId}`): CheckTarget => ({
  allocId, containerId, spec: { kind: 'tcp', intervalMs: 20, timeoutMs: 10 }, address: { host: '127.0.0.1', port },
});

test('runner: probes at once and every interval, reports only changes, stops what is no longer wanted', async () => {
  const fail = { ok: false, output: 'refused' };
  const pass = { ok: true, output: 'connected' };
  const s = scripted(new Map([[1, [fail, fail, fail, fail, pass]], [2, [pass]]]));
  const changes: Array<[string, CheckResult['status'], string]> = [];
  const runner = new CheckRunner({ probe: s.probe, onChange: (t, r) => changes.push([t.allocId, r.status, r.output]) });
  try {
    runner.set([target('a', 1), target('b', 2)], () => undefined);
    await eventually(() => runner.result('a')?.status === 'passing', 5_000, 'a passing');
    assert.deepEqual(changes.filter(([id]) => id === 'a'), [
      ['a', 'warning', 'refused'],
      ['a', 'critical', 'refused'],
      ['a', 'passing', 'connected'],
    ]);
    assert.deepEqual(changes.filter(([id]) => id === 'b'), [['b', 'passing', 'connected']]);
    // b is dropped: its loop ends; a keeps probing.
    runner.set([target('a', 1)], () => undefined);
    assert.equal(runner.result('b'), undefined);
    const before = s.calls.filter((p) => p === 2).length;
    const aBefore = s.calls.filter((p) => p === 1).length;
    await eventually(() => s.calls.filter((p) => p === 1).length >= aBefore + 3, 5_000, 'a probed again');
    assert.equal(s.calls.filter((p) => p === 2).length, before, 'b is not probed any more');
    // A new container for the same allocation starts over from warning.
    runner.set([target('a', 1, 'other')], () => undefined);
    assert.equal(runner.result('a')!.status, 'warning');
  } finally {
    runner.stop();
  }
});

test('runner: a target seeded from the last reported result of the same container keeps its verdict', async () => {
  const kept: CheckResult = { status: 'passing', output: 'connected', at: 1, durationMs: 1, failures: 0 };
  const s = scripted(new Map([[1, [{ ok: true, output: 'connected' }]]]));
  const changes: string[] = [];
  const runner = new CheckRunner({ probe: s.probe, onChange: (_t, r) => changes.push(r.status) });
  try {
    runner.set([target('a', 1)], () => ({ containerId: 'c-a', check: kept }));
    assert.equal(runner.result('a')!.status, 'passing');
    await eventually(() => s.calls.length >= 2, 5_000, 'probes');
    assert.deepEqual(changes, [], 'nothing changed: nothing reported');
  } finally {
    runner.stop();
  }
});
