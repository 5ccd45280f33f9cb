// The fsync policy, checked on the file operations the store really makes: nothing is acknowledged
// before it is synced (power loss, not only SIGKILL), a rename or a new file is followed by a sync of
// the directory, a truncation is synced; one sync serves a whole group of writes; while a sync is
// pending, neither writers nor readers are answered — and the event loop keeps running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import { spyFs, type FsEvent } from './fixtures/fs-spy.js';
import { newestLog, startChild, tempDir } from './fixtures/store-support.js';
import { eventually } from '../support/wait.js';

/** Fails unless every acknowledged key's write was synced — with its directory, if the file was new — before its ack. */
function assertSyncedBeforeAck(events: FsEvent[], dir: string): void {
  const acks = events.flatMap((e, i) => (e.k === 'ack' ? [{ key: e.key, at: i }] : []));
  assert.ok(acks.length > 0, 'acknowledgements were seen');
  for (const { key, at } of acks) {
    const w = events.findIndex((e) => e.k === 'write' && e.text.includes(`"${key}"`));
    assert.ok(w >= 0 && w < at, `${key} was written before its ack`);
    const path = (events[w] as { path: string }).path;
    assert.ok(events.slice(w, at).some((e) => e.k === 'synced' && e.path === path), `${key} was synced before its ack`);
    const created = events.findIndex((e) => e.k === 'open' && e.path === path && e.create);
    if (created >= 0) assert.ok(events.slice(created, at).some((e) => e.k === 'synced' && e.path === dir), `the directory entry of ${path} was synced before ${key} was acknowledged`);
  }
}

test('every acknowledged write is synced first; renames and new files are followed by a directory sync', async (t) => {
  const dir = tempDir(t);
  const spy = spyFs(dir);
  try {
    const catalog = createEmbeddedCatalog({ dataDir: dir, compactAfter: 7 });
    for (let i = 0; i < 40; i++) {
      const key = `dur/${i}`;
      await catalog.kvPut(key, 'v');
      spy.events.push({ k: 'ack', key });
    }
    await catalog.close();
    assertSyncedBeforeAck(spy.events, dir);
    const renames = spy.events.flatMap((e, i) => (e.k === 'rename' && e.to.endsWith('catalog.snapshot') ? [{ e, i }] : []));
    assert.ok(renames.length >= 2, 'compactions renamed snapshots into place');
    for (const { e, i } of renames) {
      const { from, to } = e as { from: string; to: string };
      assert.ok(spy.events.slice(0, i).some((x) => x.k === 'synced' && x.path === from), `${from} was synced before the rename`);
      const dirSync = spy.events.findIndex((x, j) => j > i && x.k === 'synced' && x.path === dirname(to));
      assert.ok(dirSync > i, `the directory was synced after renaming ${to}`);
      const unlink = spy.events.findIndex((x, j) => j > i && x.k === 'unlink');
      assert.ok(unlink === -1 || unlink > dirSync, 'old logs are removed only once the new snapshot is durable');
    }
  } finally {
    spy.restore();
  }
});

test('an unfinished write cut at start-up is synced before anything is acknowledged', async (t) => {
  const dir = tempDir(t);
  const child = startChild(dir, ['script', JSON.stringify([{ op: 'put', key: 'a', value: '1' }, { op: 'put', key: 'b', value: '2' }])]);
  await child.until((acks) => acks.filter((a) => a.op === 'step').length === 2, 'two writes acknowledged');
  await child.kill();
  const bytes = readFileSync(newestLog(dir));
  const last = bytes.subarray(bytes.lastIndexOf(0x0a, bytes.length - 2) + 1);
  appendFileSync(newestLog(dir), last.subarray(0, 15)); // what a kill in the middle of a write leaves
  const spy = spyFs(dir);
  try {
    const catalog = createEmbeddedCatalog({ dataDir: dir });
    await catalog.kvPut('c', '3');
    spy.events.push({ k: 'ack', key: 'c' });
    assert.equal((await catalog.kvGet('b')).value?.value, '2');
    await catalog.close();
    const cut = spy.events.findIndex((e) => e.k === 'truncate');
    assert.ok(cut >= 0, 'the unfinished write was cut');
    const path = (spy.events[cut] as { path: string }).path;
    const ack = spy.events.findIndex((e) => e.k === 'ack');
    assert.ok(spy.events.slice(cut, ack).some((e) => e.k === 'synced' && e.path === path), 'the cut was synced before the next ack');
    assertSyncedBeforeAck(spy.events, dir);
  } finally {
    spy.restore();
  }
});

test('one sync for a burst of writes; while it is pending no writer or reader is answered and the loop runs', async (t) => {
  const dir = tempDir(t);
  const spy = spyFs(dir);
  const catalog = createEmbeddedCatalog({ dataDir: dir });
  try {
    await catalog.kvPut('warm', 'up'); // the log and its directory entry are durable
    const before = spy.events.length;
    spy.hold(true);
    let answered = 0;
    const writes = Array.from({ length: 50 }, (_, i) => catalog.kvPut(`burst/${i}`, 'v').then(() => answered++));
    const read = catalog.kvList('burst/').then((r) => (answered++, r));
    await eventually(() => spy.events.some((e) => e.k === 'write' && e.text.includes('burst/49')), 5_000, 'the burst written');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    await eventually(() => ticks >= 5, 5_000, 'timers firing while the sync is pending');
    clearInterval(timer);
    assert.equal(answered, 0, 'nothing is answered before the sync completes');
    spy.hold(false);
    await Promise.all(writes);
    assert.equal((await read).value.length, 50, 'the read answers with the burst, once durable');
    const syncs = spy.events.slice(before).filter((e) => e.k === 'synced' && e.path.endsWith('.log')).length;
    assert.equal(syncs, 1, 'fifty writes of one tick share one sync');
  } finally {
    spy.hold(false);
    spy.restore();
    await catalog.close();
  }
});
