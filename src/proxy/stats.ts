/**
 * Counters kept on the data path: plain numbers on long-lived objects (one per service, one per
 * instance), so recording is a field increment and never a Map lookup. `metrics()` in index.ts
 * copies them into a plain snapshot that the API turns into prom-client metrics.
 */

/** Upper bounds (seconds) of the latency histogram, Prometheus-style (`le`). */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';
export const STATUS_CLASSES: readonly StatusClass[] = ['1xx', '2xx', '3xx', '4xx', '5xx'];

export class Histogram {
  /** Non-cumulative counts per bucket; the last slot is +Inf. */
  readonly counts = new Array<number>(LATENCY_BUCKETS.length + 1).fill(0);
  sum = 0;
  count = 0;

  observe(seconds: number): void {
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]) i++;
    this.counts[i]++;
    this.sum += seconds;
    this.count++;
  }

  snapshot(): HistogramSnapshot {
    let acc = 0;
    const buckets = LATENCY_BUCKETS.map((le, i) => ({ le, count: (acc += this.counts[i]) }));
    return { buckets, sum: this.sum, count: this.count };
  }
}

export interface HistogramSnapshot {
  /** Cumulative counts per upper bound; `count` is the +Inf bucket. */
  buckets: { le: number; count: number }[];
  sum: number;
  count: number;
}

/** Requests by status class: index = first digit − 1. */
export function newClassCounts(): number[] {
  return [0, 0, 0, 0, 0];
}

export function countStatus(counts: number[], status: number): void {
  const c = (status / 100) | 0;
  if (c >= 1 && c <= 5) counts[c - 1]++;
}

export function classRecord(counts: readonly number[]): Record<StatusClass, number> {
  return { '1xx': counts[0], '2xx': counts[1], '3xx': counts[2], '4xx': counts[3], '5xx': counts[4] };
}

/** Per service; survives route updates for as long as the service exists in the catalog. */
export class ServiceStats {
  readonly requests = newClassCounts();
  retries = 0;
  readonly latency = new Histogram();
  /** L4: connections accepted, currently open, and refused because no instance could be reached. */
  connections = 0;
  activeConnections = 0;
  failedConnections = 0;
}

/** Per instance; lives on its Upstream, so it survives updates while the instance exists. */
export class InstanceStats {
  readonly requests = newClassCounts();
  connectErrors = 0;
  ejections = 0;
  connections = 0;
}
