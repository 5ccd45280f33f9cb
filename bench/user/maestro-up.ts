/**
 * `maestro up` as a user runs it, for the user bench: the built CLI of this tree, default flags but
 * for what test/e2e changes so that it can run beside other Maestros (a temp data dir, port 0 for
 * DNS, L7 and API, L4 listeners on loopback, no DNS for containers on the shared bridge), pinned to
 * one core with taskset.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface MaestroUp {
  pid: number;
  /** addresses.json: `dns`, `http`, `api` as host:port. */
  addresses: Record<string, string>;
  /** The start-up line's fields (which native addons serve, among others). */
  startup(): Record<string, unknown> | undefined;
  /** Bytes the process wrote to stderr (its log) so far. */
  logBytes(): number;
  /** The last 4 KB of its log. */
  tail(): string;
  /** How many log lines it wrote, by message. */
  messages(): Map<string, number>;
  /** SIGTERM, then waits for the exit (SIGKILL after 20 s). */
  stop(): Promise<void>;
  /** SIGKILL now, for an `exit` handler. */
  kill(): void;
}

export async function startMaestroUp(o: { dataDir: string; host: string; cpu: number }): Promise<MaestroUp> {
  const args = [
    '-c', String(o.cpu), process.execPath, MAIN, 'up',
    '--data-dir', o.dataDir,
    '--host', o.host,
    '--dns-addr', '127.0.0.1:0',
    '--http-addr', '127.0.0.1:0',
    '--api-addr', '127.0.0.1:0',
    '--proxy-bind', '127.0.0.1',
    '--container-dns', 'off',
  ];
  // taskset execs node: the child's pid is Maestro's.
  const child: ChildProcess = spawn('taskset', args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, MAESTRO_LOG_FORMAT: 'json' } });
  let bytes = 0;
  let tail = '';
  let partial = '';
  let startup: Record<string, unknown> | undefined;
  const messages = new Map<string, number>();
  child.stderr!.on('data', (d: Buffer) => {
    bytes += d.length;
    tail = (tail + d.toString()).slice(-4096);
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      const l = parse(line);
      const msg = typeof l?.msg === 'string' ? l.msg : line.slice(0, 60);
      messages.set(msg, (messages.get(msg) ?? 0) + 1);
      if (msg === 'maestro is up') startup = l;
    }
  });
  let exited: number | null | undefined;
  const exit = new Promise<void>((r) => child.once('exit', (code) => ((exited = code), r())));
  const file = join(o.dataDir, 'addresses.json');
  const deadline = Date.now() + 30_000;
  while (!existsSync(file)) {
    if (exited !== undefined) throw new Error(`maestro up exited with ${exited}:\n${tail}`);
    if (Date.now() > deadline) throw new Error(`maestro up wrote no addresses.json in 30 s:\n${tail}`);
    await new Promise((r) => setTimeout(r, 100)); // polling a file the process writes once
  }
  return {
    pid: child.pid!,
    addresses: JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>,
    startup: () => startup,
    logBytes: () => bytes,
    tail: () => tail,
    messages: () => messages,
    kill: () => exited === undefined && child.kill('SIGKILL'),
    async stop() {
      if (exited !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

function parse(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Resident set size of a process in MB (VmRSS), NaN once it is gone. */
export function rssMb(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/**
 * V8 heap used / total and external memory of `maestro up`, in MB, from its API's Prometheus metrics
 * (prom-client's process metrics, `maestro_nodejs_*`): what of the resident size is JavaScript's heap,
 * what is Buffers and native memory; "?" when the API does not answer.
 */
export async function heapFigures(api: string): Promise<string> {
  try {
    const text = await (await fetch(`http://${api}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
    const mb = (name: string) => {
      const v = new RegExp(`^maestro_nodejs_${name} (\\S+)$`, 'm').exec(text)?.[1];
      return v === undefined ? '?' : (Number(v) / 2 ** 20).toFixed(1);
    };
    return `heap used ${mb('heap_size_used_bytes')} MB of ${mb('heap_size_total_bytes')} MB, external ${mb('external_memory_bytes')} MB`;
  } catch {
    return 'heap figures unavailable (the API did not answer /metrics)';
  }
}

/** Samples rssMb every `everyMs` until stopped; returns the largest sample. */
export function sampleRss(pid: number, everyMs = 200): { stop(): number } {
  let max = rssMb(pid);
  const timer = setInterval(() => (max = Math.max(max, rssMb(pid))), everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(max, rssMb(pid));
    },
  };
}
