import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, DEFAULT_ETCD_PREFIX, load } from '../../src/config/index.js';

test('--etcd takes comma-separated endpoints; a bare host:port means http://', () => {
  const c = load(['--etcd', '10.0.0.1:2379, http://10.0.0.2:2379/ ,http://[::1]:2379'], {});
  assert.deepEqual(c.etcd?.endpoints, ['http://10.0.0.1:2379', 'http://10.0.0.2:2379', 'http://[::1]:2379']);
  assert.equal(c.etcd?.prefix, DEFAULT_ETCD_PREFIX);
  assert.equal(c.consul, undefined);
  assert.equal(load([], {}).etcd, undefined, 'no endpoints, no etcd');
});

test('MAESTRO_ETCD_ENDPOINTS and MAESTRO_ETCD_PREFIX stand in for the flags; flags win', () => {
  const env = { MAESTRO_ETCD_ENDPOINTS: 'http://e1:2379,http://e2:2379', MAESTRO_ETCD_PREFIX: '/prod' };
  assert.deepEqual(load([], env).etcd, { endpoints: ['http://e1:2379', 'http://e2:2379'], prefix: '/prod/' });
  assert.deepEqual(load(['--etcd', 'http://f:2379', '--etcd-prefix', '/lab/'], env).etcd, { endpoints: ['http://f:2379'], prefix: '/lab/' });
});

test('--consul and --etcd together are a usage error that names both', () => {
  assert.throws(() => load(['--consul', 'http://127.0.0.1:8500', '--etcd', 'http://127.0.0.1:2379'], {}), (err: Error) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /--consul and --etcd/);
    return true;
  });
  // Both only in the environment is ambiguous too; a flag beats the other store's variable.
  const env = { CONSUL_HTTP_ADDR: '127.0.0.1:8500', MAESTRO_ETCD_ENDPOINTS: 'http://127.0.0.1:2379' };
  assert.throws(() => load([], env), /CONSUL_HTTP_ADDR and MAESTRO_ETCD_ENDPOINTS/);
  assert.equal(load(['--etcd', 'http://e:2379'], env).consul, undefined);
  assert.deepEqual(load(['--etcd', 'http://e:2379'], env).etcd?.endpoints, ['http://e:2379']);
  assert.equal(load(['--consul', 'c:8500'], env).etcd, undefined);
  assert.equal(load(['--consul', 'c:8500'], env).consul, 'http://c:8500');
});

test('user and password as etcdctl takes them, or the password from MAESTRO_ETCD_PASSWORD', () => {
  const base = ['--etcd', 'http://e:2379'];
  assert.deepEqual(pick(load([...base, '--etcd-user', 'root:s3cr:et'], {})), { user: 'root', password: 's3cr:et' });
  assert.deepEqual(pick(load([...base, '--etcd-user', 'maestro'], { MAESTRO_ETCD_PASSWORD: 'pw' })), { user: 'maestro', password: 'pw' });
  assert.deepEqual(pick(load([...base, '--etcd-user', 'maestro:'], { MAESTRO_ETCD_PASSWORD: 'pw' })), { user: 'maestro', password: '' });
  assert.throws(() => load([...base, '--etcd-user', 'maestro'], {}), /no password.*MAESTRO_ETCD_PASSWORD/);
  assert.throws(() => load([...base, '--etcd-user', ':pw'], {}), /--etcd-user/);
});

test('TLS flags need https:// endpoints, and a certificate needs its key', () => {
  const c = load(['--etcd', 'https://e:2379', '--etcd-cacert', 'ca.pem', '--etcd-cert', 'c.pem', '--etcd-key', 'k.pem'], {});
  assert.deepEqual([c.etcd?.cacert, c.etcd?.cert, c.etcd?.key], ['ca.pem', 'c.pem', 'k.pem']);
  assert.throws(() => load(['--etcd', 'http://e:2379', '--etcd-cacert', 'ca.pem'], {}), /need https/);
  assert.throws(() => load(['--etcd', 'https://e:2379', '--etcd-cert', 'c.pem'], {}), /go together/);
  assert.throws(() => load(['--etcd', 'https://a:2379,http://b:2379'], {}), /mix of http/);
});

test('bad etcd values are usage errors naming the flag', () => {
  for (const bad of ['', ',', 'ftp://e:2379', 'http://e:2379/v3', 'http://u:p@e:2379', 'http://e:2379?x=1', 'http://[::1']) {
    assert.throws(() => load(['--etcd', bad], {}), (err: Error) => err instanceof ConfigError && /--etcd/.test(err.message), bad);
  }
  assert.throws(() => load(['--etcd-prefix', '/x/'], {}), /--etcd-prefix needs --etcd/);
  assert.throws(() => load(['--etcd-user', 'a:b'], {}), /needs --etcd/);
  assert.throws(() => load(['--etcd', 'http://e:2379', '--etcd-prefix', '/a b/'], {}), /--etcd-prefix/);
});

function pick(c: ReturnType<typeof load>) {
  return { user: c.etcd?.user, password: c.etcd?.password };
}
