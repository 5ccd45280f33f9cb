/**
 * One etcd member for a benchmark run: free loopback ports, its own data dir under the system temp
 * dir (a real disk here: every commit waits for etcd's WAL fsync, as in production), etcd's default
 * raft timings and limits (--max-txn-ops 128, --max-request-bytes 1.5 MiB). Killed and removed by
 * `stop()`, also when the run fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { etcdBinary, freePort } from '../../test/catalog/support/etcd.js';

export class BenchEtcd {
  private stderr = '';
  private constructor(
    private readonly child: ChildProcess,
    readonly dataDir: string,
    readonly endpoint: string,
  ) {
    child.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4_000)));
  }

  static async start(): Promise<BenchEtcd> {
    const bin = etcdBinary();
    if (!bin) throw new Error('no etcd binary (apt-get install etcd-server, or set MAESTRO_ETCD_BIN)');
    const dataDir = mkdtempSync(join(tmpdir(), 'maestro-bench-etcd-'));
    const [client, peer] = [`http://127.0.0.1:${await freePort()}`, `http://127.0.0.1:${await freePort()}`];
    const child = spawn(bin, [
      '--name', 'bench', '--data-dir', dataDir,
      '--listen-client-urls', client, '--advertise-client-urls', client,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `bench=${peer}`, '--initial-cluster-state', 'new',
      '--logger', 'zap', '--log-outputs', 'stderr', '--log-level', 'warn',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    const etcd = new BenchEtcd(child, dataDir, client);
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) break;
      try {
        const res = await fetch(`${client}/health`, { signal: AbortSignal.timeout(1_000) });
        if (res.ok && ((await res.json()) as { health?: string }).health === 'true') return etcd;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await etcd.stop();
    throw new Error(`etcd did not become healthy: ${etcd.stderr}`);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** etcd's own counters (Prometheus text) — the WAL fsync and backend commit histograms. */
  async metrics(): Promise<string> {
    return (await fetch(`${this.endpoint}/metrics`)).text();
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGKILL');
      await exited;
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
