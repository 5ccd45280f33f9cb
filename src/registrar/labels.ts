/**
 * How a container says what it is: `maestro.*` labels first, then Registrator's `SERVICE_*` variables
 * (environment, then labels, as Registrator reads both with the environment winning). Within each
 * source a port-specific key (`maestro.port.80.name`, `SERVICE_80_NAME`) beats the container-wide one.
 */
import type { ContainerInfo } from '../docker/types.js';

/** Settings that exist both as `maestro.*` labels and as Registrator variables. */
export type Setting = 'name' | 'tags' | 'ignore';

const MAESTRO_KEY: Record<Setting, string> = { name: 'service', tags: 'tags', ignore: 'ignore' };

/** `maestro.*` label keys that configure registration rather than describe the container. */
const CONFIG_LABELS = new Set(['service', 'tags', 'ignore', 'address', 'proxy', 'host']);

/** Registrator keys with a meaning here; every other `SERVICE_*` key becomes instance metadata. */
const REGISTRATOR_KEYS = new Set(['name', 'tags', 'ignore', 'id']);

export interface Found {
  value: string;
  /** True when the value came from a port-specific key (then no `-<port>` suffix is added). */
  perPort: boolean;
  /** True when a `maestro.*` label gave it. */
  label: boolean;
}

export class ContainerSettings {
  constructor(private readonly c: ContainerInfo) {}

  /** The winning value of a setting for a port (or container-wide when `port` is undefined). */
  get(setting: Setting | 'proxy', port?: number): Found | undefined {
    const { labels, env } = this.c;
    const key = setting === 'proxy' ? 'proxy' : MAESTRO_KEY[setting];
    if (port !== undefined) {
      const v = labels[`maestro.port.${port}.${setting}`];
      if (v !== undefined) return { value: v, perPort: true, label: true };
    }
    if (labels[`maestro.${key}`] !== undefined) return { value: labels[`maestro.${key}`]!, perPort: false, label: true };
    if (setting === 'proxy') return undefined;
    const upper = setting.toUpperCase();
    // Registrator treats an empty value as unset (its mapDefault), so do we.
    if (port !== undefined) {
      const v = nonEmpty(env[`SERVICE_${port}_${upper}`]) ?? nonEmpty(labels[`SERVICE_${port}_${upper}`]);
      if (v !== undefined) return { value: v, perPort: true, label: false };
    }
    const v = nonEmpty(env[`SERVICE_${upper}`]) ?? nonEmpty(labels[`SERVICE_${upper}`]);
    return v === undefined ? undefined : { value: v, perPort: false, label: false };
  }

  /**
   * Ignored? `maestro.ignore` counts by presence (`docker run -l maestro.ignore`) unless it says
   * false/0/no/off, which also overrides a `SERVICE_IGNORE`; any non-empty `SERVICE_IGNORE` ignores.
   */
  ignored(port?: number): boolean {
    const found = this.get('ignore', port);
    if (!found) return false;
    return !/^(false|0|no|off)$/i.test(found.value.trim());
  }

  /** Registrator's "attributes": other `SERVICE_*` / `SERVICE_<port>_*` keys, lower-cased. */
  attributes(port: number): Record<string, string> {
    const generic: Record<string, string> = {};
    const specific: Record<string, string> = {};
    // Labels first so the environment overwrites them, as in Registrator.
    for (const source of [this.c.labels, this.c.env]) {
      for (const [k, v] of Object.entries(source)) {
        if (!k.startsWith('SERVICE_') || v === '') continue;
        const rest = k.slice('SERVICE_'.length).toLowerCase();
        const m = /^(\d+)_(.+)$/.exec(rest);
        if (m) {
          if (Number(m[1]) === port && !REGISTRATOR_KEYS.has(m[2]!)) specific[m[2]!] = v;
        } else if (!REGISTRATOR_KEYS.has(rest)) {
          generic[rest] = v;
        }
      }
    }
    return { ...generic, ...specific };
  }

  /** Descriptive `maestro.*` labels (job, alloc, instance, …) with the prefix stripped. */
  maestroMeta(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.c.labels)) {
      if (!k.startsWith('maestro.')) continue;
      const rest = k.slice('maestro.'.length);
      if (CONFIG_LABELS.has(rest) || rest.startsWith('port.')) continue;
      out[rest] = v;
    }
    return out;
  }

  /**
   * A job's own labels (`labels:` in the spec, put on its containers by the agent): every label that
   * is neither `maestro.*` nor `SERVICE_*`. Only for job containers, so image labels
   * (org.opencontainers.*) of ordinary containers do not flood the catalog.
   */
  jobLabels(): Record<string, string> {
    if (this.c.labels['maestro.job'] === undefined) return {};
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.c.labels)) {
      if (!k.startsWith('maestro.') && !k.startsWith('SERVICE_')) out[k] = v;
    }
    return out;
  }
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

/** A comma list, trimmed, without empties or repeats, in first-seen order. */
export function parseTags(text: string | undefined): string[] {
  if (!text) return [];
  return [...new Set(text.split(',').map((t) => t.trim()).filter(Boolean))];
}

/** A DNS label: lower-case, [a-z0-9-], no leading/trailing '-', at most 63 characters. */
export function dnsLabel(text: string, max = 63): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+/, '')
    .slice(0, max)
    .replace(/-+$/, '');
}

/** `registry:5000/library/redis:7@sha256:…` → `redis`. */
export function imageBaseName(image: string): string {
  const noDigest = image.split('@')[0]!;
  const last = noDigest.slice(noDigest.lastIndexOf('/') + 1);
  return last.split(':')[0]!;
}
