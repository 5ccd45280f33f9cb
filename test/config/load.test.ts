import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, DEFAULTS, load, parseDuration, parseHostPort } from '../../src/config/index.js';

test('defaults come from one place', () => {
  const c = load([], {});
  assert.equal(c.zone, DEFAULTS.zone);
  assert.deepEqual(c.dnsAddr, { host: '127.0.0.1', port: 8600 });
  assert.deepEqual(c.httpAddr, { host: '127.0.0.1', port: 8080 });
  assert.deepEqual(c.apiAddr, { host: '127.0.0.1', port: 4680 });
  assert.equal(c.dataDir, './.maestro');
  assert.deepEqual(c.dnsForward, []);
  assert.equal(c.internal, false);
});

test('flags win over environment, environment over defaults', () => {
  const env = { CONSUL_HTTP_ADDR: '127.0.0.1:8500', MAESTRO_HOST: 'env-host' };
  assert.equal(load([], env).consul, 'http://127.0.0.1:8500');
  assert.equal(load([], env).host, 'env-host');
  assert.equal(load(['--host', 'flag-host'], env).host, 'flag-host');
  const c = load(['--meta', 'disk=ssd', '--meta', 'zone=a', '--dns-forward', '127.0.0.1:5353,[::1]', '--zone', 'Corp.'], env);
  assert.deepEqual(c.meta, { disk: 'ssd', zone: 'a' });
  assert.deepEqual(c.dnsForward, [{ host: '127.0.0.1', port: 5353 }, { host: '::1', port: 53 }]);
  assert.equal(c.zone, 'corp');
});

test('bad flags are usage errors that name the flag', () => {
  assert.throws(() => load(['--nope'], {}), ConfigError);
  assert.throws(() => load(['--dns-addr', 'localhost'], {}), /--dns-addr/);
  assert.throws(() => load(['--dns-addr', '1.2.3.4:99999'], {}), /bad port/);
  assert.throws(() => load(['--meta', 'novalue'], {}), /--meta/);
  assert.throws(() => load(['--zone', 'bad zone'], {}), /--zone/);
  assert.throws(() => load(['--resync', 'soon'], {}), /--resync/);
});

test('durations and addresses parse', () => {
  assert.equal(parseDuration('x', '1500ms'), 1500);
  assert.equal(parseDuration('x', '2s'), 2000);
  assert.equal(parseDuration('x', '1m'), 60_000);
  assert.equal(load(['--resync', '1m30s', '--host-down-grace', '1.5s'], {}).resyncMs, 90_000);
  assert.equal(load(['--host-down-grace', '1.5s'], {}).hostDownGraceMs, 1_500);
  assert.equal(load(['--dns-ttl', '1m30s'], {}).dnsTtl, 90);
  assert.equal(load(['--dns-ttl', '30'], {}).dnsTtl, 30);
  assert.deepEqual(parseHostPort('x', ':0'), { host: '0.0.0.0', port: 0 });
  assert.deepEqual(parseHostPort('x', '[::1]:53'), { host: '::1', port: 53 });
});

test('--access-log: errors by default, a flag beats MAESTRO_ACCESS_LOG, anything else is a usage error', () => {
  assert.equal(load([], {}).accessLog, 'errors');
  assert.equal(load([], { MAESTRO_ACCESS_LOG: 'all' }).accessLog, 'all');
  assert.equal(load(['--access-log', 'off'], { MAESTRO_ACCESS_LOG: 'all' }).accessLog, 'off');
  assert.throws(() => load(['--access-log', 'verbose'], {}), /--access-log: expected off\|errors\|all, got "verbose"/);
  assert.throws(() => load([], { MAESTRO_ACCESS_LOG: 'ALL' }), ConfigError);
});

test('each role takes only its own flags', () => {
  assert.equal(load(['--api-addr', '127.0.0.1:0', '--host-down-grace', '2s'], {}, 'server').hostDownGraceMs, 2_000);
  assert.throws(() => load(['--dns-addr', '127.0.0.1:53'], {}, 'server'), /--dns-addr is not a flag of `maestro server` \(it serves no DNS\); `up` and `agent` take it/);
  assert.throws(() => load(['--api-token', 't'], {}, 'agent'), /it serves no API/);
  assert.throws(() => load(['--allow-privileged'], {}, 'registrar'), /runs no scheduled containers/);
  // The environment is shared by every role in a shell: another role's variable is no error.
  assert.equal(load([], { MAESTRO_API_TOKEN: 't', MAESTRO_ACCESS_LOG: 'all' }, 'registrar').host.length > 0, true);
});

test('--log-format: auto unless told; pretty or json; MAESTRO_LOG_FORMAT', () => {
  assert.equal(load([], {}).logFormat, 'auto');
  assert.equal(load([], { MAESTRO_LOG_FORMAT: 'json' }).logFormat, 'json');
  assert.equal(load(['--log-format', 'pretty'], { MAESTRO_LOG_FORMAT: 'json' }).logFormat, 'pretty');
  assert.throws(() => load(['--log-format', 'text'], {}), /--log-format: expected pretty or json/);
});
