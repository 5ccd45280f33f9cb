import assert from 'node:assert/strict';
import { test } from 'node:test';
import { vouchedInstances, type Vouch } from '../../src/registrar/fence.js';
import { containerToInstances } from '../../src/registrar/mapping.js';
import { CTX, container } from './fixtures.js';

// Three scheduled containers (one per allocation) and one started by hand, with no allocation.
const scheduled = ['a', 'b', 'c'].map((x) =>
  container({ id: `${x.repeat(64)}`, name: `web-${x}`, labels: { 'maestro.alloc': `web-${x}-1`, 'maestro.host': CTX.host } }));
const manual = container({ id: 'd'.repeat(64), name: 'manual' });
const all = [...scheduled, manual];
const instancesOf = (c: ReturnType<typeof container>) => containerToInstances(c, CTX);
const ids = (list: { id: string }[]) => list.map((i) => i.id).sort();
const byAlloc = (words: Record<string, Vouch>) => (labels: Readonly<Record<string, string>>): Vouch =>
  labels['maestro.alloc'] ? words[labels['maestro.alloc']]! : 'yes';

test('yes registers, no withdraws, unsure keeps exactly what is registered; unscheduled containers always count', () => {
  const registered = [...instancesOf(scheduled[1]!), ...instancesOf(scheduled[2]!)];
  const got = vouchedInstances(all, CTX, registered, byAlloc({ 'web-a-1': 'yes', 'web-b-1': 'no', 'web-c-1': 'unsure' }));
  assert.deepEqual(ids(got), ids([...instancesOf(scheduled[0]!), ...instancesOf(scheduled[2]!), ...instancesOf(manual)]));
});

test('unsure never adds: a stale replica whose instances vanished with its lease stays out after a heal', () => {
  const got = vouchedInstances(all, CTX, [], () => 'unsure');
  assert.deepEqual(got, []);
});

test('without a voucher (a registrar-only process) every container is served', () => {
  const got = vouchedInstances(all, CTX, [], undefined);
  assert.deepEqual(ids(got), ids(all.flatMap(instancesOf)));
  assert.equal(got.length, 4);
});
