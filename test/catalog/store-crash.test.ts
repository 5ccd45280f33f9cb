// The embedded store under SIGKILL: a child writes through the real catalog API and prints what was
// acknowledged; it is killed at seeded random points; the reopened store must hold every acknowledged
// write, no lock held by a session that is gone, and let a scheduler be elected again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import { KV } from '../../src/catalog/types.js';
import type { Ack } from './fixtures/store-child.js';
import { assertLeaderElected, assertNoOrphanLocks, newestLog, startChild, tempDir } from './fixtures/store-support.js';

const steps = (acks: Ack[]) => acks.filter((a): a is Extract<Ack, { op: 'step' }> => a.op === 'step');

test('a write after a torn last record survives the next start, and a scheduler is elected again', { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t);
  // First life: the scheduler's session holds the leader lock; killed.
  const first = startChild(dir, ['script', JSON.stringify([
    { op: 'session', ttlMs: 1_000 },
    { op: 'acquire', key: KV.schedulerLock, session: 0 },
    { op: 'put', key: 'maestro/jobs/web', value: '{"v":1}' },
  ])]);
  await first.until((a) => steps(a).length === 3, 'the first life acknowledged its writes');
  await first.kill();
  // A kill in the middle of a write leaves the first part of a record at the end of the log.
  const log = newestLog(dir);
  const bytes = readFileSync(log);
  const last = bytes.subarray(bytes.lastIndexOf(0x0a, bytes.length - 2) + 1);
  appendFileSync(log, last.subarray(0, last.length >> 1));

  // Second life: the restarted scheduler's new session takes the lock once the old one expired.
  const second = startChild(dir, ['script', JSON.stringify([
    { op: 'session', ttlMs: 1_000 },
    { op: 'acquire', key: KV.schedulerLock, session: 0, retry: true },
  ])]);
  await second.until((a) => steps(a).length === 2, 'the second life acknowledged its session and lock');
  await second.kill();
  const session = steps(second.acks)[0]!.result as string;

  const catalog = createEmbeddedCatalog({ dataDir: dir, reapIntervalMs: 20 });
  try {
    assert.equal((await catalog.kvGet('maestro/jobs/web')).value?.value, '{"v":1}');
    assert.equal((await catalog.kvGet(KV.schedulerLock)).value?.session, session, 'the lock names the second life');
    assert.equal(await catalog.renewSession(session), true, 'the acknowledged session written after the torn record survived');
    await assertNoOrphanLocks(catalog);
    await assertLeaderElected(catalog, 15_000);
  } finally {
    await catalog.close();
  }
});

test('SIGKILL at seeded random points: every acknowledged write survives and the state stays consistent', { timeout: 180_000 }, async (t) => {
  const dir = tempDir(t);
  let seed = 0x5eed;
  const rand = (n: number) => ((seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) >>> 8) % n;
  // What the acknowledgements promise; 'maybe' while a delete/destroy was started but not acknowledged.
  const sessions = new Map<string, 'live' | 'dead' | 'maybe'>();
  const keys = new Map<string, { value: string; state: 'present' | 'absent' | 'maybe' }>();
  const locks = new Map<string, string>();
  let checked = 0;

  for (let round = 0; round < 10; round++) {
    // Compact every 25 records, so kills also land in rotations and background snapshots.
    const child = startChild(dir, ['workload', String(seed), String(round)], { COMPACT_AFTER: '25' });
    const killAfter = 2 + rand(160);
    await child.until((a) => a.length > killAfter, `${killAfter} acknowledgements`);
    await child.kill();
    for (const a of child.acks) {
      if (a.op === 'session') sessions.set(a.id, 'live');
      if (a.op === 'destroy') sessions.set(a.id, 'dead');
      if (a.op === 'put') keys.set(a.key, { value: a.value, state: 'present' });
      if (a.op === 'del') keys.get(a.key)!.state = 'absent';
      if (a.op === 'acquire') locks.set(a.key, a.session);
      if (a.op === 'begin' && a.id && sessions.get(a.id) === 'live') sessions.set(a.id, 'maybe');
      if (a.op === 'begin' && a.key && keys.get(a.key)?.state === 'present') keys.get(a.key)!.state = 'maybe';
    }

    const catalog = createEmbeddedCatalog({ dataDir: dir });
    for (const [id, state] of sessions) {
      const exists = await catalog.renewSession(id);
      if (state !== 'maybe') assert.equal(exists, state === 'live', `round ${round}: session ${id} is ${state}`);
      sessions.set(id, exists ? 'live' : 'dead');
      checked++;
    }
    for (const [key, want] of keys) {
      const got = (await catalog.kvGet(key)).value;
      if (want.state === 'present') assert.equal(got?.value, want.value, `round ${round}: acknowledged ${key}`);
      if (want.state === 'absent') assert.equal(got, undefined, `round ${round}: acknowledged delete of ${key}`);
      want.state = got ? 'present' : 'absent';
      checked++;
    }
    for (const [key, session] of locks) {
      const got = (await catalog.kvGet(key)).value;
      assert.ok(got, `round ${round}: acknowledged lock ${key}`);
      assert.equal(got.session, sessions.get(session) === 'live' ? session : undefined, `round ${round}: ${key} is held exactly while its session lives`);
    }
    await assertNoOrphanLocks(catalog);
    await catalog.close();
  }
  assert.ok(checked > 200, `checked ${checked} acknowledged effects`);
});
