/**
 * The scheduler's time slicing (service/slice.ts) and the commit's yields (batches.ts): long work
 * must let the event loop run between its steps, also when several steps are in flight at once and
 * when the store answers without I/O (the embedded catalog resolves in microtasks).
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import { runBatched, type Unit } from '../../src/scheduler/service/batches.js';
import { TimeSlice } from '../../src/scheduler/service/slice.js';

/** Marks every turn of the loop's check phase in `log` until stopped. */
function markTurns(log: string[]): () => void {
  let on = true;
  const next = () => {
    if (!on) return;
    log.push('turn');
    setImmediate(next);
  };
  setImmediate(next);
  return () => void (on = false);
}

const busy = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

test('concurrent pausers share the turn: two steps over budget never run in one turn of the loop', async () => {
  const slice = new TimeSlice(2);
  const log: string[] = [];
  const stop = markTurns(log);
  const worker = async (name: string) => {
    for (let i = 0; i < 4; i++) {
      await slice.pause();
      busy(3);
      log.push(name);
    }
  };
  slice.begin();
  busy(3);
  await Promise.all([worker('a'), worker('b'), worker('c')]);
  stop();
  const steps = log.filter((x) => x !== 'turn');
  assert.equal(steps.length, 12);
  // Every step after the first of a turn spent the budget: the next one must wait for another turn.
  for (let i = 1; i < log.length; i++) assert.ok(log[i] === 'turn' || log[i - 1] === 'turn', `two steps in one turn at ${i}: ${log.join(',')}`);
});

test('a commit on the embedded store lets the loop run between its transactions', async () => {
  const catalog = createEmbeddedCatalog();
  try {
    const units: Unit[] = Array.from({ length: 3_000 }, (_, i) => ({
      ops: [{ verb: 'put', key: `maestro/test/${i}`, value: 'x'.repeat(64), cas: 0 }],
      done: () => undefined,
      conflict: () => assert.fail('no conflict expected'),
    }));
    const slice = new TimeSlice(0);
    const log: string[] = [];
    const stop = markTurns(log);
    slice.begin();
    const ok = await runBatched(catalog, units, undefined, undefined, 8, () => slice.pause());
    stop();
    assert.equal(ok, true);
    assert.equal((await catalog.kvGet('maestro/test/2999')).value?.value, 'x'.repeat(64));
    // 3,000 units are at least 24 transactions; with a zero budget each one yields.
    assert.ok(log.length >= 20, `the loop ran ${log.length} times during the commit`);
  } finally {
    await catalog.close();
  }
});
