import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diff, isEmpty } from '../../src/registrar/diff.js';
import { instance } from './fixtures.js';

test('in sync → nothing to write (tag order and meta key order do not matter)', () => {
  const a = instance({ meta: { x: '1', y: '2' } });
  const b = instance({ tags: ['b', 'a'], meta: { y: '2', x: '1' } });
  assert.ok(isEmpty(diff([a], [b])));
  assert.ok(isEmpty(diff([], [])));
});

test('new, changed, gone, health-only', () => {
  const keep = instance({ id: 'k' });
  const moved = instance({ id: 'm', port: 1 });
  const sick = instance({ id: 's', health: 'critical' });
  const fresh = instance({ id: 'f' });
  const d = diff(
    [keep, moved, sick, fresh],
    [keep, instance({ id: 'm', port: 2 }), instance({ id: 's' }), instance({ id: 'gone' })],
  );
  assert.deepEqual(d.register.map((i) => i.id), ['m', 'f']);
  assert.deepEqual(d.deregister, ['gone']);
  assert.deepEqual(d.health.map((i) => [i.id, i.health]), [['s', 'critical']]);
});

test('a change besides health re-registers (carrying the new health) instead of setHealth', () => {
  const d = diff([instance({ health: 'warning', meta: { a: '1' } })], [instance({ meta: { a: '2' } })]);
  assert.equal(d.register.length, 1);
  assert.equal(d.health.length, 0);
  assert.ok(!isEmpty(diff([instance({ meta: {} })], [instance({ meta: { a: '' } })])));
  assert.ok(!isEmpty(diff([instance({ name: 'x' })], [instance()])));
});
