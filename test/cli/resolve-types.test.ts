import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { describe, it } from 'node:test';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import { RESOLVE_TYPES } from '../../src/cli/verbs/resolve.js';
import { startDnsServer } from '../../src/dns/index.js';
import { instance } from '../api/helpers.js';
import { maestro } from './helpers.js';

describe('maestro resolve offers exactly the types the DNS server serves', () => {
  it('--help lists them; an unsupported type is a usage error listing them', async () => {
    const help = await maestro(['resolve', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, new RegExp(`--type <type>\\s+record type: ${RESOLVE_TYPES.join(', ')}`));
    for (const args of [['resolve', 'web', '--type', 'MX'], ['resolve', 'web', 'TXT'], ['resolve', 'web', 'CNAME']]) {
      const r = await maestro(args);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`unsupported record type "(MX|TXT|CNAME)": the cluster DNS server serves ${RESOLVE_TYPES.join(', ')}`));
    }
    const both = await maestro(['resolve', 'web', 'A', '--type', 'SRV']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /two record types given/);
  });

  it('each listed type gets records from a real server; the types left out get NODATA from it', async () => {
    const catalog = createEmbeddedCatalog();
    const dns = await startDnsServer({ catalog, addr: { host: '127.0.0.1', port: 0 } });
    try {
      await catalog.registerInstance({ ...instance('web', 'web-0', 'passing'), id: 'h1:a:80', address: '10.1.0.1', port: 8001 });
      await catalog.registerInstance({ ...instance('web6', 'web6-0', 'passing'), id: 'h1:b:80', address: 'fd00::1', port: 8002 });
      await dns.synced();
      const server = `127.0.0.1:${dns.address().port}`;
      const env = { MAESTRO_DNS_ADDR: server };
      const asks: Record<(typeof RESOLVE_TYPES)[number], [string, RegExp]> = {
        A: ['web', /10\.1\.0\.1/],
        AAAA: ['web6', /fd00::1/],
        SRV: ['web', /8001\s+web-0\.web\.service\.cluster/],
        PTR: ['10.1.0.1', /1\.0\.1\.10\.in-addr\.arpa\s+PTR\s+web-0\.web\.service\.cluster/],
        SOA: ['cluster.', /ns\.cluster\s+hostmaster\.cluster/],
        NS: ['cluster.', /NS\s+ns\.cluster/],
        ANY: ['web', /SRV\s+1 1 8001 web-0\.web\.service\.cluster/],
      };
      for (const type of RESOLVE_TYPES) {
        const [name, want] = asks[type];
        let r = await maestro(['resolve', name, '--type', type], env);
        // The table is built shortly after the sync: retry a moment (bounded) before judging.
        for (let i = 0; i < 40 && r.code !== 0; i++) {
          await new Promise((res) => setTimeout(res, 100));
          r = await maestro(['resolve', name, '--type', type], env);
        }
        assert.equal(r.code, 0, `${type}: ${r.stderr}`);
        assert.match(r.stdout, want, type);
      }
      // The server itself, asked with node's resolver for the types the CLI refuses: no records.
      const resolver = new Resolver({ timeout: 2_000, tries: 1 });
      resolver.setServers([server]);
      const absent: [string, Promise<unknown>][] = [
        ['TXT', resolver.resolveTxt('web.service.cluster')],
        ['CNAME', resolver.resolveCname('web.service.cluster')],
        ['MX', resolver.resolveMx('web.service.cluster')],
        ['CAA', resolver.resolveCaa('web.service.cluster')],
        ['NAPTR', resolver.resolveNaptr('web.service.cluster')],
      ];
      for (const [type, answer] of absent) {
        await assert.rejects(answer, (err: NodeJS.ErrnoException) => err.code === 'ENODATA', type);
        assert.ok(!(RESOLVE_TYPES as readonly string[]).includes(type));
      }
    } finally {
      await dns.stop();
      await catalog.close();
    }
  });
});
