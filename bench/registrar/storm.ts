/**
 * The storm of registrar/churn.ts: `rate` operations a second for `seconds` (open loop, at most
 * `maxInFlight` Docker requests), each on a container with no operation in flight — start it when
 * stopped, kill it when running — timing the Docker answer and when the watcher sees the change.
 */
import { performance } from 'node:perf_hooks';
import { api } from './fleet.js';
import type { Follower } from './follow.js';

export interface StormOptions {
  ids: readonly string[];
  /** Containers running now; kept up to date by the storm. */
  running: Set<string>;
  follower: Follower;
  /** When each container's last start / die event reached this process (fleet.stampEvents). */
  events: ReadonlyMap<string, { start?: number; die?: number }>;
  rate: number;
  seconds: number;
  maxInFlight: number;
  seenTimeoutMs: number;
}

export interface StormResult {
  operations: number;
  seconds: number;
  failures: number;
  /** Changes the watcher did not see within seenTimeoutMs (counted at that value below). */
  missed: number;
  apiMs: number[];
  /** Docker's answer → visible, for starts and for kills. */
  up: number[];
  down: number[];
  /** The Docker event reaching this process → visible: the registrar's own share. */
  eventToVisible: number[];
}

export async function runStorm(o: StormOptions): Promise<StormResult> {
  const r: StormResult = { operations: 0, seconds: 0, failures: 0, missed: 0, apiMs: [], up: [], down: [], eventToVisible: [] };
  const idle = [...o.ids];
  let inFlight = 0;
  let wake = () => {};
  async function operate(id: string): Promise<void> {
    inFlight++;
    const start = !o.running.has(id);
    const seen = o.follower.expect(id, start, o.seenTimeoutMs);
    seen.catch(() => undefined); // judged below; a failed Docker call leaves it to time out
    const sent = performance.now();
    try {
      await (start ? api.getContainer(id).start() : api.getContainer(id).kill());
      const answered = performance.now();
      r.apiMs.push(answered - sent);
      if (start) o.running.add(id);
      else o.running.delete(id);
      try {
        const at = await seen;
        (start ? r.up : r.down).push(Math.max(0, at - answered));
        const event = o.events.get(id)?.[start ? 'start' : 'die'];
        if (event !== undefined && event >= sent) r.eventToVisible.push(Math.max(0, at - event));
      } catch {
        r.missed++;
        (start ? r.up : r.down).push(o.seenTimeoutMs);
      }
    } catch {
      r.failures++;
      const state = await api.getContainer(id).inspect().then((c) => c.State.Running, () => false);
      if (state) o.running.add(id);
      else o.running.delete(id);
    } finally {
      inFlight--;
      idle.push(id);
      wake();
    }
  }

  // Bounded in time as well as in count: a dockerd slower than the rate ends the storm early.
  const total = Math.round(o.rate * o.seconds);
  const ops: Promise<void>[] = [];
  const t = performance.now();
  for (let i = 0; i < total && performance.now() - t < o.seconds * 1_000; i++) {
    const wait = t + (i * 1_000) / o.rate - performance.now();
    if (wait > 0) await new Promise((res) => setTimeout(res, wait)); // the storm's schedule, not a wait for a condition
    while (inFlight >= o.maxInFlight || idle.length === 0) await new Promise<void>((res) => (wake = res));
    const k = Math.floor(Math.random() * idle.length);
    const id = idle[k]!;
    idle[k] = idle[idle.length - 1]!;
    idle.pop();
    ops.push(operate(id));
  }
  await Promise.all(ops);
  return { ...r, operations: ops.length, seconds: (performance.now() - t) / 1000 };
}
