import { Counter, Histogram, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import type { Logger } from '../log/index.js';
import { flatten, type FlattenHints, type MetricType, type Sample } from './flatten.js';

/**
 * A component's `metrics()`: a plain object of numbers (see flatten.ts for the naming rules), or
 * that function with hints naming the label of keyed objects and which values are counters.
 */
export type MetricsSource = (() => unknown) | ({ read: () => unknown } & FlattenHints);
/** Sources by component name: `{ dns: () => dns.metrics(), proxy: … }`. */
export type MetricsSources = Record<string, MetricsSource>;

/**
 * The API's Prometheus registry: its own request metrics, the process metrics, and the
 * components' counters, read from their `metrics()` at scrape time (so components stay free of
 * prom-client and the values are never stale). A registry of our own, so several servers in one
 * process (tests) never share or clash.
 */
export class ApiMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'code'>;
  private readonly duration: Histogram<'route'>;
  private readonly sourceErrors: Counter<'source'>;
  private readonly dynamic = new Map<string, SnapshotMetric>();

  constructor(
    private readonly sources: MetricsSources,
    private readonly log: Logger,
    opts: { processMetrics?: boolean } = {},
  ) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'maestro_api_requests_total',
      help: 'API requests by method, route pattern and status code.',
      labelNames: ['method', 'route', 'code'],
      registers,
    });
    this.duration = new Histogram({
      name: 'maestro_api_request_duration_seconds',
      help: 'API request latency by route pattern.',
      labelNames: ['route'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    });
    this.sourceErrors = new Counter({
      name: 'maestro_api_metrics_source_errors_total',
      help: 'Scrapes where a component metrics() call failed.',
      labelNames: ['source'],
      registers,
    });
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'maestro_' });
  }

  observe(method: string, route: string, code: number, seconds: number): void {
    this.requests.inc({ method, route, code: String(code) });
    this.duration.observe({ route }, seconds);
  }

  /** The exposition text, with every source read now. */
  async scrape(): Promise<{ text: string; contentType: string }> {
    const samples: Sample[] = [];
    for (const [name, source] of Object.entries(this.sources)) {
      try {
        const hints = typeof source === 'function' ? {} : source;
        const read = typeof source === 'function' ? source : source.read;
        samples.push(...flatten(name, await read(), hints));
      } catch (err) {
        this.sourceErrors.inc({ source: name });
        this.log.warn({ err, source: name }, 'metrics source failed');
      }
    }
    this.apply(samples);
    return { text: await this.registry.metrics(), contentType: this.registry.contentType };
  }

  private apply(samples: Sample[]): void {
    const byName = new Map<string, Sample[]>();
    for (const sample of samples) {
      const list = byName.get(sample.name);
      if (list) list.push(sample);
      else byName.set(sample.name, [sample]);
    }
    // A family a source stopped reporting is emptied, so its last values do not linger.
    for (const [name, metric] of this.dynamic) if (!byName.has(name)) metric.values = [];
    for (const [name, list] of byName) {
      let metric = this.dynamic.get(name);
      if (!metric) {
        // A name our own metrics already use (or a clash of families) is dropped, never a failed scrape.
        if (this.registry.getSingleMetric(name)) continue;
        metric = new SnapshotMetric(name, list[0]!.type);
        this.registry.registerMetric(metric as unknown as Metric);
        this.dynamic.set(name, metric);
      }
      metric.values = list
        .filter((x) => x.type === metric!.type)
        .map((x) => ({ value: x.value, labels: x.labels, ...(x.suffix ? { metricName: name + x.suffix } : {}) }));
    }
  }
}

/**
 * A metric family whose values are replaced wholesale at each scrape: the shape prom-client's
 * registry reads (`name`, `get()`), without the increment API a component snapshot has no use for.
 */
class SnapshotMetric {
  readonly help: string;
  values: { value: number; labels: Record<string, string>; metricName?: string }[] = [];
  constructor(
    readonly name: string,
    readonly type: MetricType,
  ) {
    this.help = `${name}, read from the component's metrics() at scrape time.`;
  }
  get() {
    return { name: this.name, help: this.help, type: this.type, values: this.values, aggregator: 'sum' as const };
  }
  reset(): void {
    this.values = [];
  }
}
