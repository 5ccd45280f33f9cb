import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostOfId, KeyLayout, leaseOfSession, prefixEnd, sessionOfLease } from '../../src/catalog/etcd/keys.js';

test('prefix range ends are what etcdctl --prefix sends', () => {
  assert.deepEqual(prefixEnd(Buffer.from('/maestro/')), Buffer.from('/maestro0'));
  assert.deepEqual(prefixEnd(Buffer.from([0x61, 0xff, 0xff])), Buffer.from([0x62]));
  assert.deepEqual(prefixEnd(Buffer.from([0xff])), Buffer.from([0]), 'all 0xff: to the end of the keyspace');
});

test('host names and ids are encoded so no host range contains another host', () => {
  const k = new KeyLayout('/p/');
  assert.equal(k.instance('h1', 'h1:c1:53/udp'), '/p/instances/h1/h1%3Ac1%3A53%2Fudp');
  assert.ok(!k.instance('a/b', 'x').startsWith(k.hostInstances('a')));
  assert.deepEqual(k.parseHostKey(k.host('n/1')), { host: 'n/1', alive: false });
  assert.deepEqual(k.parseHostKey(k.alive('n/1')), { host: 'n/1', alive: true });
  assert.equal(k.parseHostKey(`${k.host('n')}/other`), undefined);
  assert.equal(k.portKey(k.kv('maestro/jobs/web')), 'maestro/jobs/web');
  assert.throws(() => new KeyLayout('/no-slash'), { code: 'bad_request' });
  assert.equal(hostOfId('node-1:abc:80'), 'node-1');
});

test('session ids are lease ids in hex; anything else is not a lease', () => {
  assert.equal(sessionOfLease('1'), '0000000000000001');
  assert.equal(sessionOfLease('4611686018427387904'), '4000000000000000'); // 2^62
  assert.equal(leaseOfSession('4000000000000000'), '4611686018427387904');
  assert.equal(leaseOfSession('7fffffffffffffff'), '9223372036854775807', 'the largest int64');
  for (const bad of ['', '0', '00000000-0000-0000-0000-000000000000', 'xyz', '8000000000000000', '1'.repeat(17)]) {
    assert.equal(leaseOfSession(bad), undefined, bad);
  }
});
