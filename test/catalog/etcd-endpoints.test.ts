/**
 * A member on the far side of a partition (its link cut: no answers, no resets) must not slow the
 * calls of a client that has other endpoints. Two forwarders on loopback stand for two members'
 * links, both to one real etcd; each is cut in turn while the catalog is used. Without routing
 * around a silent endpoint, a call sent there waits out its whole deadline before the next endpoint
 * is tried — and, behind the package's breaker, again every 5 s.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createEtcdCatalog } from '../../src/catalog/etcd/index.js';
import type { Catalog } from '../../src/catalog/types.js';
import { CuttableProxy } from '../support/cuttable-proxy.js';
import { eventually } from '../support/wait.js';
import { EtcdServer, etcdSkipReason, requireEtcdBinary } from './support/etcd.js';

const CALL_DEADLINE_MS = 3_000;

describe('etcd catalog with a partitioned endpoint', { skip: etcdSkipReason() }, () => {
  let server: EtcdServer;
  let links: [CuttableProxy, CuttableProxy];
  let catalog: Catalog;
  const logLines: string[] = [];

  before(async () => {
    server = await EtcdServer.start(requireEtcdBinary());
    const target = { host: '127.0.0.1', port: server.clientPort };
    links = [await CuttableProxy.start(target), await CuttableProxy.start(target)];
    const sink = new Writable({ write: (chunk, _enc, done) => (logLines.push(String(chunk)), done()) });
    catalog = createEtcdCatalog({
      endpoints: links.map((l) => l.endpoint),
      prefix: '/partition/',
      hostName: 'h1',
      logger: pino({ level: 'info' }, sink),
      callTimeoutMs: CALL_DEADLINE_MS,
    });
    await catalog.kvPut('k', 'v');
  });
  after(async () => {
    await catalog?.close();
    for (const l of links ?? []) await l.close();
    await server?.stop();
  });

  /** Sequential reads and writes for `ms`: how many waited out a deadline, and how many ran. */
  async function use(ms: number): Promise<{ calls: number; slow: number }> {
    let calls = 0;
    let slow = 0;
    const end = performance.now() + ms;
    while (performance.now() < end) {
      const t0 = performance.now();
      if (calls % 2) await catalog.kvPut('k', String(calls));
      else assert.notEqual((await catalog.kvGet('k')).value, undefined);
      if (performance.now() - t0 >= CALL_DEADLINE_MS * 0.8) slow++;
      calls++;
      await new Promise((r) => setTimeout(r, 50));
    }
    return { calls, slow };
  }

  const logged = (msg: string, endpoint: string) => logLines.some((l) => l.includes(msg) && l.includes(endpoint));

  it('calls go around a cut endpoint, and back to it once it answers again', { timeout: 90_000 }, async () => {
    for (const [cut, other] of [[links[0], links[1]], [links[1], links[0]]] as const) {
      logLines.length = 0;
      cut.partition();
      const during = await use(9_000);
      assert.ok(during.calls > 10, `only ${during.calls} calls ran in 9 s`);
      // At most the first call can land on the cut endpoint before it is known to be silent.
      assert.ok(during.slow <= 1, `${during.slow} of ${during.calls} calls waited out the ${CALL_DEADLINE_MS} ms deadline of the cut endpoint`);
      assert.ok(logged('routing around it', cut.endpoint.replace('http://', '')), 'the cut endpoint is reported');
      assert.ok(!logged('routing around it', other.endpoint.replace('http://', '')), 'the live endpoint is never reported');
      cut.heal();
      await eventually(() => logged('answers again', cut.endpoint.replace('http://', '')), 15_000, 'the healed endpoint reported back');
    }
  });
});
