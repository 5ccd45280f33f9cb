/**
 * The state view over a real etcd (started here; MAESTRO_REQUIRE_ETCD=1 fails instead of skipping):
 * it converges after a compaction below its revision while it was cut off, after etcd stopped and
 * came back, and after etcd's revision went backwards (a new member on the same endpoint) — and no
 * subscriber ever sees half of a transaction.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { createEtcdCatalog } from '../../src/catalog/etcd/index.js';
import type { Catalog } from '../../src/catalog/types.js';
import { silentLogger } from '../../src/log/index.js';
import { createStateView, type IndexedStateView } from '../../src/view/index.js';
import { EtcdServer, etcdSkipReason, requireEtcdBinary } from '../catalog/support/etcd.js';
import { eventually } from '../support/wait.js';
import { Cutter } from './cutter.js';

const PAIR = ['maestro/pair/a', 'maestro/pair/b'];

describe('state view on a real etcd: faults', { skip: etcdSkipReason() }, () => {
  let server: EtcdServer;
  let cutter: Cutter;
  let writer: Catalog;
  let viewCatalog: Catalog;
  let view: IndexedStateView;
  const torn: string[] = [];

  before(async () => {
    server = await EtcdServer.start(requireEtcdBinary());
    cutter = await Cutter.start(server.clientPort);
    writer = createEtcdCatalog({ endpoints: [server.endpoint], hostName: 'writer', logger: silentLogger });
    viewCatalog = createEtcdCatalog({ endpoints: [cutter.endpoint], hostName: 'view', logger: silentLogger, callTimeoutMs: 1_000 });
    view = createStateView(viewCatalog);
    // Both halves of a pair are written in one txn: a view showing one without the other is torn.
    view.subscribe(() => {
      const [a, b] = PAIR.map((k) => view.kv(k)?.value);
      if (a !== b) torn.push(`${a} / ${b} at ${view.index}`);
    });
  });
  after(async () => {
    await view?.close();
    await viewCatalog?.close();
    await writer?.close();
    await cutter?.close();
    await server?.stop();
  });

  const writePair = (n: number) => writer.kvTxn(PAIR.map((key) => ({ verb: 'put' as const, key, value: String(n) })));
  const sameAsStore = async () => {
    const listed = (await writer.kvList('maestro/')).value;
    const mirrored = view.kvPrefix('maestro/');
    return JSON.stringify(listed) === JSON.stringify(mirrored) ? listed : undefined;
  };

  it('re-lists after a compaction below its revision while it was cut off, and converges', async () => {
    await writer.kvPut('maestro/jobs/keep', 'k');
    await writer.kvPut('maestro/jobs/gone', 'g');
    await writePair(1);
    await view.ready();
    await eventually(sameAsStore, 10_000, 'the first sync');
    const resetsBefore = view.resets;

    cutter.partition();
    await writer.kvDelete('maestro/jobs/gone');
    for (let n = 2; n < 6; n++) await writePair(n);
    await writer.kvPut('maestro/jobs/new', 'n');
    const raw = new Etcd3({ hosts: server.endpoint });
    try {
      const { header } = await raw.kv.range({ key: Buffer.from('/maestro/'), count_only: true });
      await raw.kv.compact({ revision: header.revision, physical: true });
    } finally {
      raw.close();
    }
    assert.equal(view.kv('maestro/jobs/gone')?.value, 'g', 'cut off, it serves its last state');
    cutter.heal();

    const final = await eventually(sameAsStore, 30_000, 'convergence after the compaction');
    assert.ok(final.some((e) => e.key === 'maestro/jobs/new'));
    assert.equal(view.kv('maestro/jobs/gone'), undefined, 'the delete it missed is gone too');
    assert.ok(view.resets > resetsBefore, 'it had to re-list: the revision it watched from was compacted');
    assert.deepEqual(torn, []);
  });

  it('keeps serving while etcd is down, then resumes and converges', async () => {
    await writePair(10);
    await eventually(sameAsStore, 10_000, 'in sync');
    await server.kill();
    assert.equal(view.kv(PAIR[0]!)?.value, '10', 'serves the last state while etcd is down');
    await server.startMember();
    await writePair(11);
    await writer.kvPut('maestro/jobs/after-restart', 'r');
    await eventually(sameAsStore, 30_000, 'convergence after the restart');
    assert.equal(view.kv(PAIR[1]!)?.value, '11');
    assert.deepEqual(torn, []);
  });

  it('re-syncs when etcd\'s revision goes backwards (a new member on the same endpoint)', async () => {
    await eventually(sameAsStore, 10_000, 'in sync');
    const before = view.index;
    await server.kill();
    rmSync(join(server.dataDir, 'member'), { recursive: true, force: true });
    await server.startMember();
    await writer.kvPut('maestro/jobs/fresh', 'f');
    await writePair(20);
    const final = await eventually(sameAsStore, 30_000, 'convergence on the new store');
    assert.deepEqual(final.map((e) => e.key).sort(), ['maestro/jobs/fresh', ...PAIR].sort());
    assert.ok(view.index < before, `the index went back with the store (${view.index} < ${before})`);
    assert.equal(view.kv('maestro/jobs/keep'), undefined, 'nothing of the old store is served');
    assert.deepEqual(torn, []);
  });
});
