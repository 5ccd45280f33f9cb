/**
 * A second listener (the containers' one): the same zone, kept current with the main listener's,
 * forwarding outside the zone to its own upstreams while the main listener keeps REFUSED; a taken
 * address is a DnsError the caller can warn about, and the server keeps serving.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import { DnsError, startDnsServer, type DnsServer } from '../../src/dns/index.js';
import { eventually } from '../support/wait.js';
import { dig, rdata } from './dig.js';
import { inst, staticCatalog } from './fixtures.js';

async function upstreamServer(t: { after: (fn: () => unknown) => void }): Promise<DnsServer> {
  const up = await startDnsServer({
    catalog: staticCatalog([inst({ service: 'www', name: 'www-0', address: '192.0.2.44' })], []),
    zone: 'upstream.test',
    addr: { host: '127.0.0.1', port: 0 },
  });
  t.after(() => up.stop());
  await up.synced();
  return up;
}

test('the containers\' listener forwards outside the zone; the main one still refuses; both follow the catalog', async (t) => {
  const up = await upstreamServer(t);
  const catalog = createEmbeddedCatalog();
  await catalog.createSession({ name: 'host:n1', ttlMs: 10_000 });
  const server = await startDnsServer({ catalog, addr: { host: '127.0.0.1', port: 0 } });
  t.after(async () => {
    await server.stop();
    await catalog.close();
  });
  const extra = await server.addListener({ host: '127.0.0.1', port: 0 }, [up.address()]);
  assert.notEqual(extra.port, server.address().port);
  await server.synced();

  const outside = await dig(extra.port, 'www.service.upstream.test');
  assert.equal(outside.status, 'NOERROR');
  assert.deepEqual(rdata(outside.answer), ['192.0.2.44']);
  assert.equal((await dig(server.address().port, 'www.service.upstream.test')).status, 'REFUSED');
  assert.equal((await dig(extra.port, 'www.service.upstream.test', '+tcp')).status, 'NOERROR');

  // One table for both: a change reaches the two listeners.
  await catalog.registerInstance(inst({ service: 'api', name: 'api-0', address: '10.5.0.1', port: 8000 }));
  for (const port of [server.address().port, extra.port]) {
    await eventually(async () => rdata((await dig(port, 'api.service.cluster')).answer).join() === '10.5.0.1', 2_000, `api on port ${port}`);
    const own = await dig(port, 'api.service.cluster');
    assert.ok(own.flags.includes('aa'));
  }
  assert.equal((await dig(extra.port, 'nope.service.cluster')).status, 'NXDOMAIN', 'names of the zone are never forwarded');

  const m = server.metrics();
  assert.equal(m.forwarded, 2, 'the two out-of-zone queries of the containers\' listener, not the refused one');
  assert.ok((m.responses.REFUSED ?? 0) >= 1);
});

test('an empty upstream list refuses outside the zone on that listener too', async (t) => {
  const server = await startDnsServer({ catalog: staticCatalog([], []), addr: { host: '127.0.0.1', port: 0 } });
  t.after(() => server.stop());
  const extra = await server.addListener({ host: '127.0.0.1', port: 0 }, []);
  await server.synced();
  assert.equal((await dig(extra.port, 'example.com')).status, 'REFUSED');
});

test('a taken address is a DnsError naming it, and the server keeps serving', async (t) => {
  const server = await startDnsServer({ catalog: staticCatalog([], []), addr: { host: '127.0.0.1', port: 0 } });
  t.after(() => server.stop());
  await server.synced();
  // Someone else holds UDP on a port (dnsmasq, systemd-resolved, another maestro).
  const squatter = createSocket('udp4');
  await new Promise<void>((r) => squatter.bind(0, '127.0.0.1', r));
  t.after(() => squatter.close());
  const taken = { host: '127.0.0.1', port: squatter.address().port };
  await assert.rejects(server.addListener(taken, []), (err: Error) => {
    assert.ok(err instanceof DnsError);
    assert.equal(err.code, 'bind_failed');
    assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${taken.port}`));
    assert.equal((err.cause as NodeJS.ErrnoException).code, 'EADDRINUSE');
    return true;
  });
  // An address the host does not have (a remote daemon's bridge) fails the same way.
  await assert.rejects(server.addListener({ host: '192.0.2.1', port: 0 }, []), { code: 'bind_failed' });
  assert.equal((await dig(server.address().port, 'nope.service.cluster')).status, 'NXDOMAIN');
});

test('stop closes every listener and frees their ports; a stopped server adds none', async () => {
  const server = await startDnsServer({ catalog: staticCatalog([], []), addr: { host: '127.0.0.1', port: 0 } });
  const extra = await server.addListener({ host: '127.0.0.1', port: 0 }, []);
  await server.stop();
  const again = await startDnsServer({ catalog: staticCatalog([], []), addr: extra });
  assert.deepEqual(again.address(), extra);
  await again.stop();
  await assert.rejects(server.addListener({ host: '127.0.0.1', port: 0 }, []), { code: 'bind_failed' });
});
