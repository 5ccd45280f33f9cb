/**
 * Turns the plain objects the components' `metrics()` return into Prometheus samples. Pure, so the
 * naming rules are tested without a registry. The rules, in the order they apply:
 * - a number (or boolean, as 0/1) at key `queriesTotal` of source `dns` → `maestro_dns_queries_total`;
 * - an object of numbers at a key the source declares in `labels` (`{ responses: 'rcode' }`), or
 *   at a key `<name>By<Label>` (`responsesByRcode`) → one metric `maestro_dns_responses` with one
 *   sample per entry, labelled `rcode="NOERROR"`;
 * - any other nested object adds its key to the name (`{ l7: { requests: 1 } }` → `…_l7_requests`);
 *   declared keys of nested objects are dotted paths (`l7.byStatus`);
 * - a name ending in `_total`, or a key the source declares in `counters`, is a counter (named
 *   with a `_total` suffix); everything else is a gauge;
 * - arrays, strings and non-finite numbers are skipped.
 */

export interface Sample {
  name: string;
  type: 'counter' | 'gauge';
  /** The label name for keyed samples (`rcode`), absent for plain ones. */
  label?: string;
  labelValue?: string;
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

function numeric(v: unknown): number | undefined {
  if (typeof v === 'boolean') return v ? 1 : 0;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function flatten(source: string, value: unknown, hints: FlattenHints = {}, prefix = 'maestro'): Sample[] {
  const out: Sample[] = [];
  const counters = new Set(hints.counters ?? []);
  const kind = (path: string, base: string): { name: string; type: Sample['type'] } =>
    counters.has(path)
      ? { name: base.endsWith('_total') ? base : `${base}_total`, type: 'counter' }
      : { name: base, type: base.endsWith('_total') ? 'counter' : 'gauge' };

  const walk = (base: string, path: string, v: unknown): void => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return;
    for (const [key, x] of Object.entries(v as Record<string, unknown>)) {
      const at = path ? `${path}.${key}` : key;
      const n = numeric(x);
      if (n !== undefined) {
        out.push({ ...kind(at, `${base}_${snake(key)}`), value: n });
        continue;
      }
      if (x === null || typeof x !== 'object' || Array.isArray(x)) continue;
      const by = /^(.*[a-z0-9])By([A-Z][A-Za-z0-9]*)$/.exec(key);
      const label = hints.labels?.[at] ?? (by ? snake(by[2]!) : undefined);
      if (label === undefined) {
        walk(`${base}_${snake(key)}`, at, x);
        continue;
      }
      const { name, type } = kind(at, `${base}_${snake(by && !hints.labels?.[at] ? by[1]! : key)}`);
      for (const [labelValue, y] of Object.entries(x as Record<string, unknown>)) {
        const m = numeric(y);
        if (m !== undefined) out.push({ name, type, label, labelValue, value: m });
      }
    }
  };
  walk(`${prefix}_${snake(source)}`, '', value);
  return out;
}
