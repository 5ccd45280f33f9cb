/**
 * Turns the plain objects the components' `metrics()` return into Prometheus samples. Pure, so the
 * naming rules are tested without a registry. The rules, in the order they apply:
 * - a number (or boolean, as 0/1) at key `queriesTotal` of source `dns` → `maestro_dns_queries_total`;
 * - an object of numbers at a key `<name>By<Label>` (e.g. `responsesByRcode`) → one metric
 *   `maestro_dns_responses` with one sample per entry, labelled `rcode="NOERROR"`;
 * - any other nested object adds its key to the name (`{ l7: { requests: 1 } }` → `…_l7_requests`);
 * - a name ending in `_total` is a counter, everything else a gauge;
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

function typeOf(name: string): Sample['type'] {
  return name.endsWith('_total') ? 'counter' : 'gauge';
}

export function flatten(source: string, value: unknown, prefix = 'maestro'): Sample[] {
  const out: Sample[] = [];
  walk(`${prefix}_${snake(source)}`, value, out);
  return out;
}

function walk(base: string, value: unknown, out: Sample[]): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const n = numeric(v);
    if (n !== undefined) {
      const name = `${base}_${snake(key)}`;
      out.push({ name, type: typeOf(name), value: n });
      continue;
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) continue;
    const by = /^(.*[a-z0-9])By([A-Z][A-Za-z0-9]*)$/.exec(key);
    if (by) {
      const name = `${base}_${snake(by[1]!)}`;
      const label = snake(by[2]!);
      for (const [labelValue, x] of Object.entries(v as Record<string, unknown>)) {
        const m = numeric(x);
        if (m !== undefined) out.push({ name, type: typeOf(name), label, labelValue, value: m });
      }
    } else {
      walk(`${base}_${snake(key)}`, v, out);
    }
  }
}
