// A multi-change operation (a session's death: the session, its locks, its hosts) is one record on
// disk: a crash at any byte of it leaves all of it or none of it. And a lock naming a session that
// does not exist at load is released there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import { encodeFrame, scanFrames } from '../../src/catalog/embedded/frame.js';
import { KV } from '../../src/catalog/types.js';
import { assertLeaderElected, assertNoOrphanLocks, copyStore, newestLog, tempDir } from './fixtures/store-support.js';

const host = { name: 'h1', address: '10.0.0.1', meta: {}, capacity: { cpu: 1000, memory: 512 } };

test('a crash at any byte of a session invalidation leaves all of it or none of it', { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t);
  const live = createEmbeddedCatalog({ dataDir: join(dir, 'live') });
  const session = await live.createSession({ name: 'scheduler', ttlMs: 60_000 });
  await live.registerHost(host, session);
  for (const key of [KV.schedulerLock, 'lock/a', 'lock/b']) assert.equal(await live.kvPut(key, 'x', { acquire: session }), true);
  const log = newestLog(join(dir, 'live'));
  const before = statSync(log).size;
  await live.destroySession(session);
  const after = statSync(log).size;
  assert.ok(after > before, 'the invalidation was written');

  let whole = 0;
  let none = 0;
  // Every length from "nothing of it" to "all of it" is a place a crash can stop the log.
  for (let cut = before; cut <= after; cut++) {
    const copy = join(dir, 'copy');
    copyStore(join(dir, 'live'), copy);
    truncateSync(newestLog(copy), cut);
    const catalog = createEmbeddedCatalog({ dataDir: copy });
    try {
      const exists = await catalog.renewSession(session);
      const holders = await Promise.all([KV.schedulerLock, 'lock/a', 'lock/b'].map(async (k) => (await catalog.kvGet(k)).value?.session));
      const alive = (await catalog.listHosts()).value.find((h) => h.name === 'h1')?.alive;
      const state = JSON.stringify({ exists, holders, alive });
      if (exists) assert.equal(state, JSON.stringify({ exists, holders: [session, session, session], alive: true }), `cut at ${cut}`);
      else assert.equal(state, JSON.stringify({ exists, holders: [null, null, null], alive: false }), `cut at ${cut}`);
      if (exists) none++;
      else whole++;
      await assertNoOrphanLocks(catalog);
    } finally {
      await catalog.close();
    }
  }
  assert.ok(whole >= 1 && none >= 1, `both outcomes seen (${whole} whole, ${none} none)`);
  await live.close();
});

test('a session invalidation and a recursive delete are one record each', async (t) => {
  const dir = tempDir(t);
  const catalog = createEmbeddedCatalog({ dataDir: dir });
  try {
    const session = await catalog.createSession({ name: 's', ttlMs: 60_000 });
    await catalog.registerHost(host, session);
    for (const key of ['a/1', 'a/2', 'a/3']) await catalog.kvPut(key, 'x', { acquire: session });
    const frames = () => scanFrames(readFileSync(newestLog(dir))).frames.length;
    const n = frames();
    await catalog.destroySession(session);
    assert.equal(frames(), n + 1, 'destroySession: one frame');
    await catalog.kvDelete('a/', { recurse: true });
    assert.equal(frames(), n + 2, 'recursive delete: one frame');
    assert.deepEqual((await catalog.kvList('a/')).value, []);
  } finally {
    await catalog.close();
  }
});

test('a lock held by a session that does not exist at load is released, and a leader is elected', { timeout: 30_000 }, async (t) => {
  const dir = tempDir(t);
  mkdirSync(dir, { recursive: true });
  // A log as a buggy or older writer could have left it: the lock's session is nowhere.
  const entry = { key: KV.schedulerLock, value: 'ghost', createIndex: 2, modifyIndex: 2, session: 'ghost-session' };
  const down = { record: host, session: 'ghost-session' };
  writeFileSync(join(dir, 'catalog.1.log'), Buffer.concat([
    encodeFrame({ format: 'maestro-catalog-log', version: 1, log: 1 }),
    encodeFrame({ index: 2, changes: [{ t: 'kv', entry }, { t: 'host', host: down }] }),
  ]));
  const catalog = createEmbeddedCatalog({ dataDir: dir, reapIntervalMs: 20 });
  try {
    const lock = (await catalog.kvGet(KV.schedulerLock)).value;
    assert.equal(lock?.value, 'ghost', 'the entry itself is kept');
    assert.equal(lock?.session, undefined, 'its lock is released');
    assert.equal((await catalog.listHosts()).value[0]?.alive, false, 'the host is down');
    await assertLeaderElected(catalog, 5_000);
  } finally {
    await catalog.close();
  }
  // The repair was written: the next start finds it without redoing it.
  const again = createEmbeddedCatalog({ dataDir: dir });
  assert.equal((await again.kvGet(KV.schedulerLock)).value?.session, undefined);
  await again.close();
});
