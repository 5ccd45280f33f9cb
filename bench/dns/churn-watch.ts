/**
 * The busy-catalog bench's instruments (`churn.ts`): its peer processes (`peers.ts`) and the prober
 * protocol, GC pauses by kind, an optional sampling heap profile, and the memory line.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { createInterface } from 'node:readline';

export const MB = 2 ** 20;
export const pct = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]! : NaN);
export const ms = (x: number) => `${x.toFixed(1)} ms`;

export function memory(): string {
  const m = process.memoryUsage();
  return `RSS ${(m.rss / MB).toFixed(0)} MB (heap used ${(m.heapUsed / MB).toFixed(0)} MB of ${(m.heapTotal / MB).toFixed(0)} MB, external ${(m.external / MB).toFixed(0)} MB)`;
}

export interface Peer {
  child: ReturnType<typeof spawn>;
  /** The first line it printed. */
  line: string;
  lines: ReturnType<typeof createInterface>;
}

/** A peer process (peers.ts), once it printed its first line. */
export async function peer(...args: string[]): Promise<Peer> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'peers.js'), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await Promise.race([once(lines, 'line'), once(child, 'exit').then(([code]) => Promise.reject(new Error(`peers.js ${args[0]} exited with ${code}`)))])) as [string];
  return { child, line, lines };
}

/**
 * The prober (`peers.js probe`): `observe(healthy)` resolves with when DNS and the L7 route each
 * first showed the probe service so, in ms since `t0` (process.hrtime, CLOCK_MONOTONIC: the same
 * clock in every process of the machine); NaN when not within 5 s.
 */
export async function startProber(dnsPort: number, httpPort: number, name: string) {
  const p = await peer('probe', String(dnsPort), String(httpPort), name);
  const waiting = new Map<number, (parts: string[]) => void>();
  p.lines.on('line', (line) => {
    const parts = line.split(' ');
    waiting.get(Number(parts[0]))?.(parts);
  });
  let seq = 0;
  const since = (t: bigint, t0: bigint) => (t < 0n ? NaN : Number(t - t0) / 1e6);
  return {
    observe(healthy: boolean, t0: bigint): Promise<[number, number]> {
      const n = ++seq;
      return new Promise((resolve) => {
        waiting.set(n, (parts) => (waiting.delete(n), resolve([since(BigInt(parts[1]!), t0), since(BigInt(parts[2]!), t0)])));
        p.child.stdin!.write(`${n} ${healthy ? 1 : 0} ${healthy ? 200 : 503}\n`);
      });
    },
    end: () => p.child.stdin!.end(),
  };
}

/** GC pauses from now until `stop()`, by kind: the loop stalls they explain. */
export function watchGc() {
  const minor: number[] = [];
  const other: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      (kind === constants.NODE_PERFORMANCE_GC_MINOR ? minor : other).push(e.duration);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const line = (xs: number[]) => `${xs.length} (p50 ${ms(pct(xs, 50))}, max ${ms(xs.length ? Math.max(...xs) : NaN)})`;
  return {
    stop: () => observer.disconnect(),
    summary: () => `scavenges ${line(minor)}, mark-compacts and others ${line(other)}`,
  };
}

/**
 * V8's sampling heap profile from now until `stop()` writes it to `file`. Objects a mark-compact
 * collected are kept in it (those a scavenge collected mostly are not): what the churn promoted,
 * garbage or not. An approximation: V8 drops samples on weak callbacks, not exactly per GC.
 */
export async function heapProfile(file: string) {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) => new Promise<any>((ok, fail) => session.post(method, params, (err, r) => (err ? fail(err) : ok(r))));
  await post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true });
  return { stop: async () => writeFileSync(file, JSON.stringify((await post('HeapProfiler.stopSampling')).profile)) };
}
