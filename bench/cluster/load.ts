/**
 * The load side of a run, all over the API as a user's client sends it: job submissions
 * (POST /v1/jobs, JSON, `concurrency` in flight), a latency probe (one request at a time,
 * GET /v1/jobs/<first job> and GET /v1/hosts in turn) and a poll of the scheduler's `placed`
 * counter on /metrics, which it increments once etcd acknowledged each transaction.
 */
import type { BenchServer } from './server.js';

export interface JobPlan {
  jobs: number;
  replicas: number;
}

export const jobName = (i: number): string => `bench-${String(i).padStart(5, '0')}`;

/** Replica counts per job summing exactly to `replicas` (the remainder spread over the first jobs). */
export function counts(plan: JobPlan): number[] {
  const base = Math.floor(plan.replicas / plan.jobs);
  return Array.from({ length: plan.jobs }, (_, i) => base + (i < plan.replicas % plan.jobs ? 1 : 0));
}

function spec(i: number, count: number): string {
  return JSON.stringify({ name: jobName(i), image: 'registry.local/bench/app:1', count, resources: { cpu: 10, memory: 16 } });
}

/** Submissions answered 503 and sent again. */
export const retries = { n: 0 };

export interface Timed {
  at: number;
  ms: number;
}

/** Submits every job; resolves with the wall time of each request. Fails on any non-2xx answer. */
export async function submitAll(server: BenchServer, plan: JobPlan, concurrency: number, deadline = Infinity): Promise<Timed[]> {
  const sizes = counts(plan);
  const times: Timed[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < sizes.length) {
      if (Date.now() > deadline) throw new Error(`timed out submitting: ${times.length} of ${sizes.length} jobs accepted`);
      const i = next++;
      const at = performance.now();
      // 503 = the API could not reach etcd within its deadline (a loaded machine): retried, as a
      // client would; the submission is idempotent (an identical resubmit writes nothing).
      for (let attempt = 1; ; attempt++) {
        const res = await fetch(`${server.api}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: spec(i, sizes[i]!) });
        const body = await res.text();
        if (res.status === 201 || res.status === 200) break;
        // Patient: a stalled etcd opens the client's circuit breaker for 5 s at a time.
        if (res.status !== 503 || attempt === 10) throw new Error(`POST /v1/jobs ${jobName(i)}: ${res.status} ${body.slice(0, 300)}`);
        retries.n++;
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
      times.push({ at, ms: performance.now() - at });
    }
  }));
  return times;
}

/** Sequential GETs until `signal` aborts; latency per path. */
export async function probe(server: BenchServer, signal: AbortSignal): Promise<Map<string, Timed[]>> {
  const out = new Map<string, Timed[]>([[`/v1/jobs/${jobName(0)}`, []], ['/v1/hosts', []]]);
  const paths = [...out.keys()];
  for (let n = 0; !signal.aborted; n++) {
    const path = paths[n % paths.length]!;
    const at = performance.now();
    try {
      const res = await fetch(`${server.api}${path}`, { signal });
      await res.arrayBuffer();
      // 404 until the first job is stored: an answer all the same, but not the one to measure.
      if (res.ok) out.get(path)!.push({ at, ms: performance.now() - at });
    } catch {
      // aborted at the end
    }
  }
  return out;
}

/** Samples the scheduler's placed counter every `everyMs` until `signal` aborts. */
export async function pollPlaced(server: BenchServer, everyMs: number, signal: AbortSignal, onSample: (at: number, placed: number) => void): Promise<void> {
  while (!signal.aborted) {
    const at = performance.now();
    const placed = await server.metric('maestro_scheduler_placed').catch(() => undefined);
    if (placed !== undefined) onSample(at, placed);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
