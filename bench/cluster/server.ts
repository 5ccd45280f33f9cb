/**
 * `maestro server --etcd …` as users run it: the built CLI in a child process (scheduler + API, the
 * same code and flags), on a free loopback port with its own data dir. Logs at warn go to a file
 * beside the data dir, so a failed run can be read afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/catalog/support/etcd.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const PROC = fileURLToPath(new URL('./server-proc.js', import.meta.url));

export class BenchServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly dataDir: string,
    readonly api: string,
    readonly logFile: string,
  ) {}

  /** Where `stop()` leaves the last run's pass timeline (the data dir is removed). */
  static readonly lastTimeline = join(tmpdir(), 'maestro-bench-passes-last.jsonl');

  /** `--server proc`: one JSON line per committed pass (server-proc.ts `timeline`). */
  get timelineFile(): string {
    return join(this.dataDir, 'passes.jsonl');
  }

  /**
   * `mode: 'cli'` runs `maestro server` (fixed 2 s etcd deadline); `'proc'` runs server-proc.js, the
   * same scheduler and API with the deadline given.
   */
  static async start(etcd: string, prefix: string, mode: 'cli' | 'proc' = 'cli', callTimeoutMs = 2_000, hold = false): Promise<BenchServer> {
    const dataDir = mkdtempSync(join(tmpdir(), 'maestro-bench-server-'));
    const port = await freePort();
    const logFile = join(dataDir, 'server.log');
    // BENCH_SERVER_NODE_OPTIONS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`, to profile the server.
    const nodeOptions = (process.env.BENCH_SERVER_NODE_OPTIONS ?? '').split(' ').filter(Boolean);
    const args = mode === 'cli'
      ? [CLI, 'server', '--etcd', etcd, '--etcd-prefix', prefix, '--api-addr', `127.0.0.1:${port}`, '--data-dir', dataDir, '--host', 'bench-server', '--log-level', 'warn']
      : [PROC, JSON.stringify({ etcd, prefix, port, callTimeoutMs, hold, timeline: join(dataDir, 'passes.jsonl') })];
    const child = spawn(process.execPath, [...nodeOptions, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const log = createWriteStream(logFile);
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    const server = new BenchServer(child, dataDir, `http://127.0.0.1:${port}`, logFile);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && child.exitCode === null) {
      if ((await server.metric('maestro_scheduler_leader').catch(() => -1)) === (hold ? 0 : 1)) return server;
      await new Promise((r) => setTimeout(r, 200));
    }
    const why = readFileSync(logFile, 'utf8').slice(-2_000);
    await server.stop();
    throw new Error(`maestro server did not ${hold ? 'answer' : 'lead'} within 30 s: ${why}`);
  }

  /** Starts a held scheduler (server-proc.js `hold`). */
  release(): void {
    this.child.kill('SIGUSR2');
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** One sample of the server's /metrics (the scheduler's counters are read at every scrape). */
  async metric(name: string): Promise<number> {
    const text = await (await fetch(`${this.api}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
    const m = new RegExp(`^${name}(?:_total)?(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
    if (!m) throw new Error(`no ${name} in /metrics`);
    return Number(m[1]);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    // The last run's log outlives its data dir, for reading after a failure.
    copyFileSync(this.logFile, join(tmpdir(), 'maestro-bench-server-last.log'));
    rmSync(BenchServer.lastTimeline, { force: true });
    if (existsSync(this.timelineFile)) copyFileSync(this.timelineFile, BenchServer.lastTimeline);
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
