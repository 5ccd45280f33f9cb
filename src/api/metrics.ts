import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from '../log/index.js';
import { flatten, type FlattenHints, type Sample } from './flatten.js';

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
  private readonly dynamic = new Map<string, { metric: Gauge<string> | Counter<string>; label?: string }>();

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
    // Reset first, so a value a source stopped reporting does not linger.
    for (const { metric } of this.dynamic.values()) metric.reset();
    for (const s of samples) {
      const entry = this.entry(s);
      if (!entry) continue;
      const labels = s.label && s.labelValue !== undefined ? { [s.label]: s.labelValue } : {};
      if (entry.metric instanceof Counter) {
        if (s.value >= 0) entry.metric.inc(labels, s.value);
      } else {
        entry.metric.set(labels, s.value);
      }
    }
  }

  private entry(s: Sample): { metric: Gauge<string> | Counter<string>; label?: string } | undefined {
    const known = this.dynamic.get(s.name);
    if (known) {
      // One name, one label set: a sample whose shape changed is dropped rather than crashing the scrape.
      return known.label === s.label ? known : undefined;
    }
    if (this.registry.getSingleMetric(s.name)) return undefined;
    const config = {
      name: s.name,
      help: `${s.name} as reported by the component's metrics().`,
      labelNames: s.label ? [s.label] : [],
      registers: [this.registry],
    };
    const metric = s.type === 'counter' ? new Counter(config) : new Gauge(config);
    const entry = { metric, label: s.label };
    this.dynamic.set(s.name, entry);
    return entry;
  }
}
