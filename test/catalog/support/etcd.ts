/**
 * Test support: a real single-member etcd on loopback, started by the test on free ports with its
 * own temporary data dir, killed and removed afterwards (also when the test fails).
 *
 * Tests call `etcdOrSkip(t)`: without an etcd binary they skip with a visible reason, except when
 * MAESTRO_REQUIRE_ETCD=1 (set by .ci/run), where they fail.
 *
 * Short raft timings (heartbeat 50 ms, election 250 ms) make etcd's minimum lease TTL 1 s instead
 * of 2 s, so lease-expiry tests stay short; the default TTL clamp rule is unchanged.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

const MISSING = 'no etcd binary (apt-get install etcd-server, or set MAESTRO_ETCD_BIN; MAESTRO_REQUIRE_ETCD=1 fails instead)';

/**
 * For `describe(…, { skip: etcdSkipReason() })`: the reason to skip without etcd, or false — also
 * false under MAESTRO_REQUIRE_ETCD=1, so the suite runs and `requireEtcdBinary()` fails it.
 */
export function etcdSkipReason(): string | false {
  return etcdBinary() || process.env.MAESTRO_REQUIRE_ETCD === '1' ? false : MISSING;
}

export function requireEtcdBinary(): string {
  const bin = etcdBinary();
  if (!bin) throw new Error('etcd is required (MAESTRO_REQUIRE_ETCD=1) but no etcd binary was found (apt-get install etcd-server)');
  return bin;
}

/** MAESTRO_ETCD_BIN when set (only it), else /usr/bin/etcd, /usr/local/bin/etcd or etcd on PATH. */
export function etcdBinary(): string | undefined {
  const chosen = process.env.MAESTRO_ETCD_BIN;
  if (chosen !== undefined) return existsSync(chosen) ? chosen : undefined;
  const candidates = ['/usr/bin/etcd', '/usr/local/bin/etcd'];
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir) candidates.push(join(dir, 'etcd'));
  return candidates.find((c): c is string => !!c && existsSync(c));
}

/** The etcd binary, or undefined after skipping `t`; throws under MAESTRO_REQUIRE_ETCD=1. */
export function etcdOrSkip(t: TestContext): string | undefined {
  const bin = etcdBinary();
  if (bin) return bin;
  if (process.env.MAESTRO_REQUIRE_ETCD === '1') requireEtcdBinary();
  t.skip(MISSING);
  return undefined;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export class EtcdServer {
  private child: ChildProcess | undefined;
  private stderr = '';

  private constructor(
    readonly bin: string,
    readonly dataDir: string,
    readonly clientPort: number,
    readonly peerPort: number,
  ) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.clientPort}`;
  }

  static async start(bin: string): Promise<EtcdServer> {
    const dataDir = mkdtempSync(join(tmpdir(), 'maestro-etcd-'));
    // Free ports can be taken between probing and etcd's bind: try a few pairs.
    for (let attempt = 1; ; attempt++) {
      const server = new EtcdServer(bin, dataDir, await freePort(), await freePort());
      try {
        await server.startMember();
        return server;
      } catch (err) {
        await server.kill();
        if (attempt >= 3) {
          rmSync(dataDir, { recursive: true, force: true });
          throw err;
        }
        rmSync(join(dataDir, 'member'), { recursive: true, force: true });
      }
    }
  }

  /** Starts (or restarts, on the same data dir and ports) the member and waits until it is healthy. */
  async startMember(): Promise<void> {
    const peer = `http://127.0.0.1:${this.peerPort}`;
    this.stderr = '';
    const child = spawn(this.bin, [
      '--name', 'm1', '--data-dir', this.dataDir,
      '--listen-client-urls', this.endpoint, '--advertise-client-urls', this.endpoint,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `m1=${peer}`, '--initial-cluster-state', 'new',
      '--heartbeat-interval', '50', '--election-timeout', '250',
      '--logger', 'zap', '--log-outputs', 'stderr', '--log-level', 'warn',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    child.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4_000)));
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`etcd exited (${code}) while starting: ${this.stderr}`))),
    );
    exited.catch(() => undefined);
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const healthy = await Promise.race([this.healthy(), exited]);
      if (healthy) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`etcd did not become healthy within 20 s: ${this.stderr}`);
  }

  async healthy(): Promise<boolean> {
    try {
      const res = await fetch(`${this.endpoint}/health`, { signal: AbortSignal.timeout(1_000) });
      return res.ok && ((await res.json()) as { health?: string }).health === 'true';
    } catch {
      return false;
    }
  }

  /** Kills the member (SIGKILL by default: no goodbye to its clients) and waits for it to exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
