import { z } from 'zod';
import type { LogRecord, Snapshot } from './state.js';

/**
 * The shapes a stored record and snapshot must have. A frame whose checksum matches can still hold
 * the wrong shape (written by a bug, an edit by hand, a newer version): it is refused with the path
 * of what is wrong, instead of a TypeError somewhere in the replay.
 */

const index = z.number().int().nonnegative();
const str = z.string();
const strMap = z.record(z.string());

const hostRecord = z.object({
  name: str.min(1),
  address: str,
  meta: strMap,
  capacity: z.object({ cpu: z.number(), memory: z.number() }),
});

const instance = z.object({
  id: str.min(1),
  service: str.min(1),
  name: str,
  host: str.min(1),
  address: str,
  port: z.number().int().min(0).max(65_535),
  tags: z.array(str),
  meta: strMap,
  health: z.enum(['passing', 'warning', 'critical']),
});

const kvEntry = z.object({ key: str, value: str, createIndex: index, modifyIndex: index, session: str.optional() });
const session = z.object({ id: str.min(1), name: str, ttlMs: z.number().positive() });
const hostState = z.object({ record: hostRecord, session: str.optional() });

const change = z.discriminatedUnion('t', [
  z.object({ t: z.literal('instance'), instance }),
  z.object({ t: z.literal('instance-del'), id: str }),
  z.object({ t: z.literal('host'), host: hostState }),
  z.object({ t: z.literal('host-del'), name: str }),
  z.object({ t: z.literal('kv'), entry: kvEntry }),
  z.object({ t: z.literal('kv-del'), key: str }),
  z.object({ t: z.literal('session'), session }),
  z.object({ t: z.literal('session-del'), id: str }),
]);

const logRecord = z.object({ index: index.min(1), changes: z.array(change).min(1) });

const snapshot = z.object({
  index,
  tableIndex: z.object({ instances: index, hosts: index, kv: index, sessions: index }),
  instances: z.array(instance),
  hosts: z.array(hostState),
  kv: z.array(kvEntry),
  sessions: z.array(session),
});

/** The first frame of a log file: which log this is, so a file renamed or copied by hand is noticed. */
const logHeader = z.object({ format: z.literal('maestro-catalog-log'), version: z.literal(1), log: z.number().int().positive() });
export type LogHeader = z.infer<typeof logHeader>;

/** The snapshot file's one frame: the state, and the first log whose records come after it. */
const snapshotFile = z.object({
  format: z.literal('maestro-catalog-snapshot'),
  version: z.literal(1),
  nextLog: z.number().int().positive(),
  state: snapshot,
});
export interface SnapshotFile {
  format: 'maestro-catalog-snapshot';
  version: 1;
  nextLog: number;
  state: Snapshot;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; why: string };

function check<T>(schema: z.ZodTypeAny, value: unknown): Checked<T> {
  const r = schema.safeParse(value);
  if (r.success) return { ok: true, value: value as T };
  const issue = r.error.issues[0]!;
  return { ok: false, why: `${issue.path.join('.') || '(record)'}: ${issue.message}` };
}

export const checkRecord = (v: unknown): Checked<LogRecord> => check(logRecord, v);
export const checkHeader = (v: unknown): Checked<LogHeader> => check(logHeader, v);
export const checkSnapshotFile = (v: unknown): Checked<SnapshotFile> => check(snapshotFile, v);
