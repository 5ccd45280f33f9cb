import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadNative, NativeError, nativeStatus } from '../../src/native/index.js';

test('MAESTRO_NATIVE=0 never loads an addon', () => {
  assert.equal(loadNative('udp-batch', { MAESTRO_NATIVE: '0' }), undefined);
});

test('a missing addon falls back quietly and says why', () => {
  assert.equal(loadNative('no-such-addon', {}), undefined);
  assert.match(nativeStatus().missing['no-such-addon'] ?? '', /no-such-addon\.node/);
});

test('MAESTRO_REQUIRE_NATIVE=1 turns a missing addon into an error', () => {
  assert.throws(() => loadNative('no-such-addon', { MAESTRO_REQUIRE_NATIVE: '1' }), (err: unknown) => {
    assert.ok(err instanceof NativeError);
    assert.equal(err.code, 'native_missing');
    assert.match(err.message, /no-such-addon/);
    return true;
  });
});
