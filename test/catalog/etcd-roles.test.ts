/**
 * The roles on etcd, through the built CLI: flag conflicts are usage errors (exit 2), endpoints that
 * do not answer stop the role with a clear message within its deadline (exit 1, no hang), and a
 * `maestro server --etcd` against a real member elects itself with a lease-bound lock key.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { CLI, closedPort, maestro } from '../cli/helpers.js';
import { eventually } from '../support/wait.js';
import { EtcdServer, etcdSkipReason, requireEtcdBinary } from './support/etcd.js';

describe('maestro roles with --etcd', () => {
  it('--consul together with --etcd is a usage error (exit 2) for every cluster role', async () => {
    for (const role of ['agent', 'server', 'registrar', 'up']) {
      const run = await maestro([role, '--consul', 'http://127.0.0.1:8500', '--etcd', 'http://127.0.0.1:2379']);
      assert.equal(run.code, 2, `${role}: ${run.stderr}`);
      assert.match(run.stderr, /--consul and --etcd both given/);
    }
  });

  it('endpoints that do not answer stop the role with a clear error, not a hang', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'maestro-etcd-role-'));
    try {
      const port = await closedPort();
      // The helper kills the child after 20 s: a hang fails the test, the check itself takes ≤ 5 s.
      const run = await maestro(['server', '--etcd', `http://127.0.0.1:${port}`, '--api-addr', '127.0.0.1:0', '--data-dir', dataDir]);
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, new RegExp(`etcd at http://127.0.0.1:${port} did not answer`));
      assert.match(run.stderr, /--etcd \(or MAESTRO_ETCD_ENDPOINTS\)/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  describe('against a real member', { skip: etcdSkipReason() }, () => {
    let server: EtcdServer;
    let raw: Etcd3;
    before(async () => {
      server = await EtcdServer.start(requireEtcdBinary());
      raw = new Etcd3({ hosts: server.endpoint });
    });
    after(async () => {
      raw?.close();
      await server?.stop();
    });

    it('maestro server --etcd starts, leads through a lease-bound lock, and steps down on SIGTERM', { timeout: 60_000 }, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'maestro-etcd-role-'));
      const child = spawn(process.execPath, [CLI, 'server', '--api-addr', '127.0.0.1:0', '--data-dir', dataDir, '--etcd-prefix', '/role-test'], {
        env: { PATH: process.env.PATH ?? '', MAESTRO_ETCD_ENDPOINTS: server.endpoint },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      try {
        await eventually(() => existsSync(join(dataDir, 'addresses.json')), 30_000, `the server up (${stderr})`);
        const lock = '/role-test/kv/maestro/scheduler/leader';
        const held = await eventually(async () => (await raw.get(lock).exec()).kvs[0], 30_000, 'the leader lock');
        assert.notEqual(held.lease, '0', 'the lock key is bound to the leader\'s lease');
        child.kill('SIGTERM');
        assert.equal(await exited, 0, stderr);
        assert.equal((await raw.get(lock).exec()).kvs.length, 0, 'stopping revokes the lease, which frees the lock at once');
      } finally {
        child.kill('SIGKILL');
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
});
