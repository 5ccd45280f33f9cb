// What the store wrote, damaged: cut at every byte of the last record, flipped bytes in the log and
// the snapshot, records of the wrong shape. Every start must either recover cleanly (an unfinished
// last write is cut) or stop with an error naming the file, the byte and what to do — and following
// that advice must start the store. Never a TypeError, never an acknowledged record silently dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import { encodeFrame, scanFrames } from '../../src/catalog/embedded/frame.js';
import { CatalogError, type Catalog } from '../../src/catalog/types.js';
import { eventually } from '../support/wait.js';
import { copyStore, newestLog, tempDir } from './fixtures/store-support.js';

async function dump(c: Catalog): Promise<string> {
  return JSON.stringify({ kv: (await c.kvList('')).value, instances: (await c.listInstances()).value, hosts: (await c.listHosts()).value });
}

/** Opens a damaged copy: its state, or the error it refused with (anything but a CatalogError fails the test). */
async function open(dir: string): Promise<{ state: string } | { error: CatalogError }> {
  let catalog: Catalog;
  try {
    catalog = createEmbeddedCatalog({ dataDir: dir });
  } catch (err) {
    assert.ok(err instanceof CatalogError && err.code === 'unavailable', `a clear catalog error, not ${(err as Error).stack}`);
    return { error: err };
  }
  const state = await dump(catalog);
  await catalog.close();
  return { state };
}

let seed = 0xc0ffee;
const rand = (n: number) => ((seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) >>> 8) % n;

/** A store with a snapshot and a log of 12 records of every kind, left open (its copies are damaged). */
async function written(dir: string): Promise<{ catalog: Catalog; full: string }> {
  const catalog = createEmbeddedCatalog({ dataDir: dir, compactAfter: 12 });
  const s = await catalog.createSession({ name: 'h', ttlMs: 60_000 });
  await catalog.registerHost({ name: 'h1', address: '10.0.0.1', meta: { disk: 'ssd' }, capacity: { cpu: 1000, memory: 512 } }, s);
  for (let i = 0; i < 16; i++) {
    await catalog.registerInstance({ id: `h1:c${i}:80`, service: 'web', name: `web-${i}`, host: 'h1', address: '10.0.0.1', port: 8000 + i, tags: ['a'], meta: {}, health: 'passing' });
    await catalog.kvPut(`maestro/jobs/j${i}`, JSON.stringify({ image: 'busybox', count: i }));
  }
  await catalog.kvPut(`maestro/scheduler/leader`, 'me', { acquire: s });
  await eventually(() => !existsSync(join(dir, 'catalog.snapshot.tmp')) && readdirSync(dir).filter((f) => f.endsWith('.log')).length === 1, 5_000, 'compaction done');
  return { catalog, full: await dump(catalog) };
}

/** The byte offsets where the log's frames start (0 is its header). */
const frameStarts = (file: string) => scanFrames(readFileSync(file)).frames.map((f) => f.offset);

test('a log cut at any byte of its last record opens with exactly the records before it', { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t);
  const { catalog, full } = await written(join(dir, 'src'));
  const copy = join(dir, 'copy');
  const size = readFileSync(newestLog(join(dir, 'src'))).length;
  const last = frameStarts(newestLog(join(dir, 'src'))).at(-1)!;
  let before: string | undefined;
  for (let cut = last; cut <= size; cut++) {
    copyStore(join(dir, 'src'), copy);
    truncateSync(newestLog(copy), cut);
    const r = await open(copy);
    assert.ok('state' in r, `cut at ${cut}: opens (${'error' in r ? r.error.message : ''})`);
    before ??= r.state;
    assert.equal(r.state, cut === size ? full : before, `cut at ${cut}`);
  }
  assert.notEqual(before, full, 'the last record changed something');
  await catalog.close();
});

test('flipped bytes in the log stop the start with the file, the byte and a repair that works', { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t);
  const { catalog } = await written(join(dir, 'src'));
  const copy = join(dir, 'copy');
  const original = readFileSync(newestLog(join(dir, 'src')));
  const starts = frameStarts(newestLog(join(dir, 'src')));
  // Every byte of the last record, and a sample of the others.
  const offsets = new Set<number>();
  for (let i = starts.at(-1)!; i < original.length; i++) offsets.add(i);
  for (let i = 0; i < 120; i++) offsets.add(rand(original.length));
  for (const at of offsets) {
    copyStore(join(dir, 'src'), copy);
    const bytes = Buffer.from(original);
    bytes[at]! ^= [0x01, 0x20, 0x80][rand(3)]!;
    const log = newestLog(copy);
    writeFileSync(log, bytes);
    const r = await open(copy);
    assert.ok('error' in r, `a flip at byte ${at} is noticed`);
    const frame = starts.filter((s) => s <= at).at(-1)!;
    assert.match(r.error.message, new RegExp(`${log.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is damaged at byte ${frame}\\b`), `flip at ${at}: names the file and the record's byte`);
    // The advice in the message is what an operator runs; it must bring the store back.
    const [, size] = /truncate -s (\d+) /.exec(r.error.message)!;
    truncateSync(log, Number(size));
    const repaired = await open(copy);
    assert.ok('state' in repaired, `flip at ${at}: the documented repair opens the store`);
  }
  await catalog.close();
});

test('a damaged or truncated snapshot stops the start with the file and what to do', { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t);
  const { catalog } = await written(join(dir, 'src'));
  const copy = join(dir, 'copy');
  const original = readFileSync(join(dir, 'src', 'catalog.snapshot'));
  for (let i = 0; i < 40; i++) {
    copyStore(join(dir, 'src'), copy);
    const bytes = Buffer.from(original);
    const at = rand(bytes.length);
    if (i % 2) bytes[at]! ^= 0x04;
    writeFileSync(join(copy, 'catalog.snapshot'), i % 2 ? bytes : bytes.subarray(0, at));
    const r = await open(copy);
    assert.ok('error' in r, `damage at ${at} is noticed`);
    assert.match(r.error.message, /catalog\.snapshot is damaged: .*\n[\s\S]*backup/);
  }
  await catalog.close();
});

test('a record of the wrong shape or out of order is refused by name, even as the last one', async (t) => {
  const dir = tempDir(t);
  const { catalog } = await written(join(dir, 'src'));
  const copy = join(dir, 'copy');
  const bad: Array<[unknown, RegExp]> = [
    [null, /wrong shape/],
    [{ index: 999, changes: [{ t: 'kv', entry: null }] }, /wrong shape \(changes\.0\.entry/],
    [{ index: 999, changes: [{ t: 'kv', entry: { key: 'k', value: 1, createIndex: 1, modifyIndex: 1 } }] }, /wrong shape/],
    [{ index: 1, changes: [{ t: 'kv-del', key: 'k' }] }, /record index 1 does not follow/],
  ];
  for (const [record, why] of bad) {
    copyStore(join(dir, 'src'), copy);
    const at = readFileSync(newestLog(copy)).length;
    appendFileSync(newestLog(copy), encodeFrame(record));
    const r = await open(copy);
    assert.ok('error' in r, `${JSON.stringify(record)} is refused`);
    assert.match(r.error.message, new RegExp(`damaged at byte ${at}: `));
    assert.match(r.error.message, why);
  }
  await catalog.close();
});

test('an old-format store: a line of the wrong shape is skipped, not a TypeError; a truncated snapshot is named', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'catalog.log'), [
    JSON.stringify({ t: 'kv', index: 2, entry: { key: 'before', value: '1', createIndex: 2, modifyIndex: 2 } }),
    JSON.stringify({ t: 'kv', index: 3, entry: null }),
    JSON.stringify({ t: 'kv', index: 4, entry: { key: 'after', value: '2', createIndex: 4, modifyIndex: 4 } }),
    '',
  ].join('\n'));
  const catalog = createEmbeddedCatalog({ dataDir: dir });
  assert.deepEqual((await catalog.kvList('')).value.map((e) => e.key), ['after', 'before']);
  await catalog.close();

  const old = tempDir(t);
  writeFileSync(join(old, 'catalog.snapshot.json'), JSON.stringify({ index: 1, tableIndex: {}, instances: [], hosts: [], kv: [], sessions: [] }).slice(0, 30));
  assert.throws(() => createEmbeddedCatalog({ dataDir: old }), (err: Error) => {
    assert.match(err.message, new RegExp(`${join(old, 'catalog.snapshot.json')}.*restore it from a backup or move it aside`));
    return true;
  });
  rmSync(old, { recursive: true, force: true });
});
