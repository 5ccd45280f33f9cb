/** The L4 cases on the native relay (native/tcp-relay.c), the default when the addon is built. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadTcpRelay } from '../../src/proxy/l4-native.js';
import { l4Cases } from './l4-cases.js';
import { l4DepartedCases } from './l4-departed.js';

const addon = loadTcpRelay();

if (addon === undefined) {
  test('L4 native relay', (t) => t.skip('tcp-relay addon not built (node scripts/build-native.mjs)'));
} else {
  test('L4 native relay: the addon loads and starts with no tunnel', () => assert.equal(addon.active(), 0));
  l4Cases('L4 native', () => addon.active());
  l4DepartedCases('L4 native', () => addon.active());
}
