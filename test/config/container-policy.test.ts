/** The agent's leave for jobs that reach into its host: none by default, each flag checked. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, load } from '../../src/config/index.js';

test('nothing is allowed by default', () => {
  assert.deepEqual(load([], {}).containerPolicy, { allowHostPaths: [], allowPrivileged: false, allowCaps: [] });
});

test('--allow-host-path repeats, --allow-cap takes lists and normalises names, --allow-privileged', () => {
  const c = load(['--allow-host-path', '/srv/data', '--allow-host-path', '/mnt/shared', '--allow-cap', 'net_admin,CAP_SYS_TIME', '--allow-cap', 'NET_ADMIN', '--allow-privileged'], {});
  assert.deepEqual(c.containerPolicy, { allowHostPaths: ['/srv/data', '/mnt/shared'], allowPrivileged: true, allowCaps: ['NET_ADMIN', 'SYS_TIME'] });
});

test('bad values are usage errors naming the flag', () => {
  assert.throws(() => load(['--allow-host-path', 'relative/dir'], {}), (e: unknown) => e instanceof ConfigError && /--allow-host-path: "relative\/dir": expected an absolute path/.test(e.message));
  assert.throws(() => load(['--allow-host-path', '/srv/../etc'], {}), (e: unknown) => e instanceof ConfigError && /normalised/.test(e.message));
  assert.throws(() => load(['--allow-cap', 'NET_ADMIN,FLY'], {}), (e: unknown) => e instanceof ConfigError && /--allow-cap: "FLY" is not a Linux capability/.test(e.message));
});
