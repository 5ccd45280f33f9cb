import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import { catalogContract } from './contract.js';

catalogContract('embedded, in memory', async () => {
  const catalog = createEmbeddedCatalog();
  return { catalog, cleanup: () => catalog.close() };
});

catalogContract('embedded, persisted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'maestro-catalog-'));
  const catalog = createEmbeddedCatalog({ dataDir: dir, compactAfter: 20 });
  return {
    catalog,
    cleanup: async () => {
      await catalog.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

test('state survives a clean restart, including instances, hosts, KV and locks', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'maestro-catalog-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const first = createEmbeddedCatalog({ dataDir: dir, compactAfter: 3 });
  const session = await first.createSession({ name: 'h', ttlMs: 60_000 });
  await first.registerHost({ name: 'h1', address: '10.0.0.1', meta: { a: 'b' }, capacity: { cpu: 1000, memory: 256 } }, session);
  await first.registerInstance({ id: 'h1:c:80', service: 'web', name: 'web-0', host: 'h1', address: '10.0.0.1', port: 8080, tags: ['x'], meta: {}, health: 'warning' });
  await first.kvPut('maestro/jobs/web', '{"v":1}');
  await first.kvPut('lock', 'me', { acquire: session });
  const index = (await first.kvGet('maestro/jobs/web')).index;
  await first.close();

  const second = createEmbeddedCatalog({ dataDir: dir });
  assert.equal((await second.kvGet('maestro/jobs/web')).value?.value, '{"v":1}');
  assert.ok((await second.kvGet('maestro/jobs/web')).index >= index, 'the index never goes backwards');
  assert.equal((await second.kvGet('lock')).value?.session, session);
  assert.equal(await second.renewSession(session), true, 'sessions come back with a fresh TTL');
  const [inst] = (await second.listInstances()).value;
  assert.equal(inst?.health, 'warning');
  const [host] = (await second.listHosts()).value;
  assert.equal(host?.alive, true);
  assert.deepEqual(host?.meta, { a: 'b' });
  await second.close();
});

test('nothing acknowledged is lost when the process is SIGKILLed between writes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'maestro-catalog-kill-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const writer = fileURLToPath(new URL('./fixtures/embedded-writer.js', import.meta.url));
  let acked = -1;
  for (let round = 0; round < 3; round++) {
    // Each round appends more keys (with compactions in between) and is killed mid-stream.
    const child = fork(writer, [dir, String(round)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    const killedAt = await new Promise<number>((resolve) => {
      let last = -1;
      child.on('message', (m: { acked: number }) => {
        last = m.acked;
        if (last >= 150 + round * 37) {
          child.kill('SIGKILL');
        }
      });
      child.on('exit', () => resolve(last));
    });
    assert.ok(killedAt >= 150, `round ${round}: writer got to ${killedAt}`);
    const catalog = createEmbeddedCatalog({ dataDir: dir });
    const entries = (await catalog.kvList(`round${round}/`)).value;
    const present = new Set(entries.map((e) => Number(e.key.split('/')[1])));
    for (let i = 0; i <= killedAt; i++) assert.ok(present.has(i), `round ${round}: acknowledged key ${i} survived`);
    for (let r = 0; r < round; r++) {
      assert.ok((await catalog.kvList(`round${r}/`)).value.length > 150, `round ${r} still there`);
    }
    await catalog.close();
    acked = killedAt;
  }
  assert.ok(acked > 0);
});
