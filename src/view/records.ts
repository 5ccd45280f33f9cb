/**
 * Which shared record a KV key holds (src/state/index.ts `keys`) and its parsed value. Anything with
 * write access to the store can put bytes there, so a value that does not parse or lacks the fields
 * the indexes key on is treated as absent from the typed indexes (it stays in the raw KV), never
 * handed to the API or the scheduler half-formed.
 */
import type { AllocStatus, Allocation, Evaluation, JobRecord } from '../state/index.js';
import { keys } from '../state/index.js';

export type Parsed =
  | { kind: 'job'; name: string; value?: JobRecord }
  | { kind: 'alloc'; id: string; value?: Allocation }
  | { kind: 'status'; id: string; value?: AllocStatus }
  | { kind: 'eval'; job: string; value?: Evaluation }
  | { kind: 'other' };

const ALLOCS = keys.allocsPrefix;
const STATUSES = keys.allocStatusesPrefix;

/** What `key` holds; `value` only when `text` is given and is a well-formed record. */
export function parseRecord(key: string, text?: string): Parsed {
  if (key.startsWith(keys.jobPrefix)) {
    const name = key.slice(keys.jobPrefix.length);
    if (!name || name.includes('/')) return { kind: 'other' };
    const v = text === undefined ? undefined : json(text);
    const ok = isObject(v) && isObject(v.job) && v.job.name === name && Number.isFinite(v.version) && Array.isArray(v.job.containers);
    return { kind: 'job', name, value: ok ? (v as unknown as JobRecord) : undefined };
  }
  if (key.startsWith(ALLOCS)) {
    const id = lastSegment(key, ALLOCS);
    if (id === undefined) return { kind: 'other' };
    const v = text === undefined ? undefined : json(text);
    const ok = isObject(v) && v.id === id && typeof v.job === 'string' && typeof v.host === 'string' && Number.isInteger(v.ordinal);
    return { kind: 'alloc', id, value: ok ? (v as unknown as Allocation) : undefined };
  }
  if (key.startsWith(STATUSES)) {
    const id = lastSegment(key, STATUSES);
    if (id === undefined) return { kind: 'other' };
    const v = text === undefined ? undefined : json(text);
    const ok = isObject(v) && v.allocId === id && typeof v.state === 'string';
    return { kind: 'status', id, value: ok ? (v as unknown as AllocStatus) : undefined };
  }
  if (key.startsWith(keys.evaluationPrefix)) {
    const job = key.slice(keys.evaluationPrefix.length);
    if (!job || job.includes('/')) return { kind: 'other' };
    const v = text === undefined ? undefined : json(text);
    const ok = isObject(v) && v.job === job;
    return { kind: 'eval', job, value: ok ? (v as unknown as Evaluation) : undefined };
  }
  return { kind: 'other' };
}

/** `<prefix><host>/<id>` → id (exactly two segments), else undefined. */
function lastSegment(key: string, prefix: string): string | undefined {
  const rest = key.slice(prefix.length).split('/');
  return rest.length === 2 && rest[0] && rest[1] ? rest[1] : undefined;
}

function json(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
