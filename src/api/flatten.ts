/**
 * Turns the plain objects the components' `metrics()` return into Prometheus samples. Pure, so the
 * naming rules are tested without a registry. The rules:
 * - a number (or boolean, as 0/1) at key `queriesTotal` of source `dns` → `maestro_dns_queries_total`;
 * - an object of numbers keyed by a label value becomes one metric with that label: at a key the
 *   source declares in `labels` (`{ responses: 'rcode' }`), at a key `<name>By<Label>`
 *   (`responsesByRcode` → `maestro_dns_responses{rcode=…}`), or when its keys are not camelCase
 *   field names (`{ '2xx': 5 }`, `{ NOERROR: 1 }` → label `key`);
 * - `{ buckets: [{ le, count }], sum, count }` is a histogram (cumulative bucket counts);
 * - an array of objects is one series per element: the element's string fields become labels
 *   (`services: [{ service: 'web', requests }]` → `maestro_proxy_services_requests{service="web"}`),
 *   inherited by arrays nested inside it;
 * - any other nested object adds its key to the name (`{ l7: { requests: 1 } }` → `…_l7_requests`);
 * - a name ending in `_total`, or a key the source declares in `counters`, is a counter (named
 *   with a `_total` suffix); everything else is a gauge. Hint keys are dotted paths without array
 *   indices (`services.requests`).
 */

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface Sample {
  /** The metric (family) name. */
  name: string;
  type: MetricType;
  /** For histograms: which series of the family (`_bucket`, `_sum`, `_count`). */
  suffix?: '_bucket' | '_sum' | '_count';
  labels: Record<string, string>;
  value: number;
}

/** How to read a source's object where the naming conventions alone do not say. */
export interface FlattenHints {
  /** Key path → label name, for objects keyed by a label value (`{ responses: 'rcode' }`). */
  labels?: Record<string, string>;
  /** Key paths whose values only ever grow. */
  counters?: string[];
}

export function snake(text: string): string {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '')
    .toLowerCase();
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A field name as components write them (camelCase); any other key is a label value (`2xx`, `NOERROR`). */
const FIELD = /^[a-z][A-Za-z0-9]*$/;

function numeric(v: unknown): number | undefined {
  if (typeof v === 'boolean') return v ? 1 : 0;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function isHistogram(v: Obj): boolean {
  return (
    Array.isArray(v.buckets) &&
    v.buckets.every((b) => isObj(b) && typeof b.le === 'number' && typeof b.count === 'number') &&
    typeof v.sum === 'number' &&
    typeof v.count === 'number'
  );
}

export function flatten(source: string, value: unknown, hints: FlattenHints = {}, prefix = 'maestro'): Sample[] {
  const out: Sample[] = [];
  const counters = new Set(hints.counters ?? []);
  const kind = (path: string, base: string): { name: string; type: MetricType } =>
    counters.has(path)
      ? { name: base.endsWith('_total') ? base : `${base}_total`, type: 'counter' }
      : { name: base, type: base.endsWith('_total') ? 'counter' : 'gauge' };

  const walk = (base: string, path: string, v: Obj, labels: Record<string, string>): void => {
    for (const [key, x] of Object.entries(v)) {
      const at = path ? `${path}.${key}` : key;
      const n = numeric(x);
      if (n !== undefined) {
        out.push({ ...kind(at, `${base}_${snake(key)}`), labels, value: n });
      } else if (Array.isArray(x)) {
        for (const el of x) {
          if (!isObj(el)) continue;
          const own = Object.entries(el).filter((e): e is [string, string] => typeof e[1] === 'string');
          walk(`${base}_${snake(key)}`, at, el, { ...labels, ...Object.fromEntries(own.map(([k, s]) => [snake(k), s])) });
        }
      } else if (isObj(x) && isHistogram(x)) {
        const name = `${base}_${snake(key)}`;
        for (const b of x.buckets as { le: number; count: number }[]) {
          out.push({ name, type: 'histogram', suffix: '_bucket', labels: { ...labels, le: String(b.le) }, value: b.count });
        }
        out.push({ name, type: 'histogram', suffix: '_bucket', labels: { ...labels, le: '+Inf' }, value: x.count as number });
        out.push({ name, type: 'histogram', suffix: '_sum', labels, value: x.sum as number });
        out.push({ name, type: 'histogram', suffix: '_count', labels, value: x.count as number });
      } else if (isObj(x)) {
        const by = /^(.*[a-z0-9])By([A-Z][A-Za-z0-9]*)$/.exec(key);
        const declared = hints.labels?.[at];
        const keyed = Object.keys(x).some((k) => !FIELD.test(k));
        const label = declared ?? (by ? snake(by[2]!) : keyed ? 'key' : undefined);
        if (label === undefined) {
          walk(`${base}_${snake(key)}`, at, x, labels);
          continue;
        }
        const { name, type } = kind(at, `${base}_${snake(by && !declared ? by[1]! : key)}`);
        for (const [labelValue, y] of Object.entries(x)) {
          const m = numeric(y);
          if (m !== undefined) out.push({ name, type, labels: { ...labels, [label]: labelValue }, value: m });
        }
      }
    }
  };
  if (isObj(value)) walk(`${prefix}_${snake(source)}`, '', value, {});
  return out;
}
