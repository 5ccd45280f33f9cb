import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import { startDnsServer } from '../../src/dns/index.js';
import { instance, startHarness } from '../api/helpers.js';
import { closedPort, maestro } from './helpers.js';

describe('CLI token and resolve', () => {
  it('uses --token / MAESTRO_API_TOKEN against an API bound off loopback', async () => {
    const h = await startHarness({ addr: { host: '0.0.0.0', port: 0 }, token: 'tok-123' });
    try {
      const env = { MAESTRO_ADDR: h.base };
      const without = await maestro(['jobs'], env);
      assert.equal(without.code, 1);
      assert.match(without.stderr, /error: a bearer token is required/);
      assert.match(without.stderr, /--token or MAESTRO_API_TOKEN/);
      assert.equal((await maestro(['jobs', '--token', 'wrong'], env)).code, 1);
      const withEnv = await maestro(['jobs'], { ...env, MAESTRO_API_TOKEN: 'tok-123' });
      assert.equal(withEnv.code, 0, withEnv.stderr);
      assert.equal(withEnv.stdout.trim(), 'No jobs.');
    } finally {
      await h.close();
    }
  });

  it('resolve asks the cluster DNS server: A, SRV, NXDOMAIN, unreachable', async () => {
    const catalog = createEmbeddedCatalog();
    const dns = await startDnsServer({ catalog, addr: { host: '127.0.0.1', port: 0 } });
    try {
      await catalog.registerInstance({ ...instance('web', 'web-0', 'passing'), id: 'h1:a:80', address: '10.1.0.1', port: 8001 });
      await catalog.registerInstance({ ...instance('web', 'web-1', 'passing'), id: 'h1:b:80', address: '10.1.0.2', port: 8002 });
      await dns.synced();
      const env = { MAESTRO_DNS_ADDR: `127.0.0.1:${dns.address().port}` };
      let a;
      for (let i = 0; i < 50; i++) {
        a = await maestro(['resolve', 'web', '--json'], env);
        if (a.code === 0 && JSON.parse(a.stdout).records.length === 2) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(a!.code, 0, a!.stderr);
      const records = JSON.parse(a!.stdout);
      assert.equal(records.name, 'web.service.cluster');
      assert.deepEqual(records.records.map((r: { address: string }) => r.address).sort(), ['10.1.0.1', '10.1.0.2']);

      const srv = await maestro(['resolve', 'web.service.cluster', 'srv'], env);
      assert.equal(srv.code, 0, srv.stderr);
      assert.match(srv.stdout, /^NAME\s+PRIORITY\s+WEIGHT\s+PORT\s+TARGET\n/);
      assert.match(srv.stdout, /8001\s+web-0\.web\.service\.cluster/);
      assert.match(srv.stdout, /8002\s+web-1\.web\.service\.cluster/);

      const nx = await maestro(['resolve', 'nothing'], env);
      assert.equal(nx.code, 1);
      assert.match(nx.stderr, /nothing\.service\.cluster: no such name \(NXDOMAIN\)/);

      const down = await maestro(['resolve', 'web', '--dns', `127.0.0.1:${await closedPort()}`]);
      assert.equal(down.code, 1);
      assert.match(down.stderr, /no answer from the cluster DNS server/);
      assert.match(down.stderr, /maestro up/);
    } finally {
      await dns.stop();
      await catalog.close();
    }
  });
});
