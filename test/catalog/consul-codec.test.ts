/** Pure mapping rules of the Consul adapter, on plain data. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeMetaKey,
  encodeMetaKey,
  fromHealthEntry,
  goDuration,
  sessionTtl,
  waitMsOf,
  worstHealth,
  type HealthEntry,
} from '../../src/catalog/consul/codec.js';
import { toCatalogError } from '../../src/catalog/consul/client.js';

test('meta keys: any string maps to a valid Consul key and back', () => {
  const keys = ['container', 'maestro.job', 'a_b', '__', 'label/tier', 'ünï ✓', 'x-y', 'm-already', '_2E'];
  for (const key of keys) {
    const encoded = encodeMetaKey(key);
    assert.match(encoded, /^[A-Za-z0-9_-]{1,64}$/, encoded);
    assert.ok(!encoded.startsWith('consul-'));
    assert.equal(decodeMetaKey(encoded), key, encoded);
  }
  assert.equal(encodeMetaKey('maestro.job'), 'm-maestro_2Ejob');
  assert.equal(decodeMetaKey('maestro-host'), undefined, 'reserved keys are not user keys');
  assert.equal(decodeMetaKey('m-bad_zz'), undefined);
});

test('health is the worst check, node checks included', () => {
  assert.equal(worstHealth([]), 'passing');
  assert.equal(worstHealth(['passing', 'passing']), 'passing');
  assert.equal(worstHealth(['passing', 'warning']), 'warning');
  assert.equal(worstHealth(['warning', 'critical', 'passing']), 'critical');
  assert.equal(worstHealth(['passing', 'maintenance']), 'critical', 'unknown states are not served');
});

test('durations: wait in ms, session TTL clamped to 10s..24h, wait capped at 10 min', () => {
  assert.equal(goDuration(1500), '1500ms');
  assert.equal(goDuration(0), '1ms');
  assert.equal(sessionTtl(600), '10s');
  assert.equal(sessionTtl(15_000), '15s');
  assert.equal(sessionTtl(15_001), '16s');
  assert.equal(sessionTtl(1e12), '86400s');
  assert.equal(waitMsOf(undefined), 30_000);
  assert.equal(waitMsOf(3_600_000), 600_000);
});

test('health entries: Maestro instances only; an empty service address means the node address', () => {
  const entry: HealthEntry = {
    Node: { Node: 'n1', Address: '10.1.1.1' },
    Service: { ID: 'h1:c:80', Service: 'web', Tags: null, Address: '', Port: 80, Meta: { 'maestro-name': 'web-0', 'maestro-host': 'h1', 'm-k_2Fv': 'x', other: 'y' } },
    Checks: [
      { CheckID: 'serfHealth', Status: 'passing', ServiceID: '' },
      { CheckID: 'service:h1:c:80', Status: 'warning', ServiceID: 'h1:c:80' },
    ],
  };
  assert.deepEqual(fromHealthEntry(entry), {
    id: 'h1:c:80', service: 'web', name: 'web-0', host: 'h1', address: '10.1.1.1', port: 80, tags: [], meta: { 'k/v': 'x' }, health: 'warning',
  });
  assert.equal(fromHealthEntry({ ...entry, Service: { ...entry.Service, Meta: null } }), undefined);
});

test('errors: HTTP statuses and socket failures map onto catalog codes', () => {
  const answer = (status: number, body: string) => Object.assign(new Error('x'), { isResponse: true, response: { statusCode: status, body } });
  assert.equal(toCatalogError('op', answer(400, 'Request decode failed')).code, 'bad_request');
  assert.equal(toCatalogError('op', answer(403, 'Permission denied')).code, 'bad_request');
  assert.equal(toCatalogError('op', answer(404, 'Unknown check ID')).code, 'not_found');
  assert.equal(toCatalogError('op', answer(500, 'invalid session "x"')).code, 'session_invalid');
  assert.equal(toCatalogError('op', answer(500, 'No cluster leader')).code, 'unavailable');
  assert.equal(toCatalogError('op', answer(503, 'Service Unavailable')).code, 'unavailable');
  assert.equal(toCatalogError('op', Object.assign(new Error('connect'), { code: 'ECONNREFUSED' })).code, 'unavailable');
  assert.equal(toCatalogError('op', Object.assign(new Error('slow'), { isTimeout: true })).code, 'unavailable');
});
