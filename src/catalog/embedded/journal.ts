import fs from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../log/index.js';
import { CatalogError } from '../types.js';
import { createLog, fdatasync, fsyncDir, listLogs, logName, snapshotBytes, SNAPSHOT_TMP, unlinkQuiet, writeAllSync, writeSnapshot } from './files.js';
import { encodeFrame } from './frame.js';
import type { LogRecord, Snapshot } from './state.js';

export interface JournalOptions {
  dir: string;
  log: number;
  fd: number;
  end: number;
  records: number;
  /** Records in the current log before it is rotated and the state snapshotted. */
  compactAfter: number;
  /** The state as of every record appended so far. */
  snapshot: () => Snapshot;
  logger: Logger;
}

interface Queued {
  fd: number;
  position: number;
  bytes: Buffer;
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * The write-ahead log with group commit. `append` queues a record (the caller applies it to memory
 * right after); the records of one event-loop turn are written together, fdatasynced once — on the
 * libuv thread pool, so the loop keeps serving DNS and proxies meanwhile — and only then are the
 * operations waiting in `settled()` resolved. Records arriving during a sync form the next group.
 *
 * Past `compactAfter` records a new log is started and the state as of the old one's end is written
 * as the snapshot in the background; the old log is deleted once the snapshot is durable. A failed
 * write or sync fails the journal for good (memory now holds what the disk may not): every later
 * operation is refused and the process must restart, reloading what is durable.
 */
export class Journal {
  private log: number;
  private fd: number;
  private end: number;
  private records: number;
  private queue: Queued[] = [];
  private queuedWaiters: Waiter[] = [];
  private inflightWaiters: Waiter[] = [];
  private flushing = false;
  private scheduled = false;
  private dirDirty = false;
  private readonly retired = new Set<number>();
  private compaction: Promise<void> | undefined;
  private failure: CatalogError | undefined;

  constructor(private readonly opts: JournalOptions) {
    ({ log: this.log, fd: this.fd, end: this.end, records: this.records } = opts);
  }

  /** Queues one record; throws once the journal has failed (the caller must then not apply it). */
  append(record: LogRecord): void {
    if (this.failure) throw this.failure;
    if (this.records >= this.opts.compactAfter && !this.compaction) this.rotate();
    const bytes = encodeFrame(record);
    this.queue.push({ fd: this.fd, position: this.end, bytes });
    this.end += bytes.length;
    this.records++;
    if (!this.scheduled && !this.flushing) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        void this.flush();
      });
    }
  }

  /** Resolves once every record appended so far is durable; rejects if the journal failed. */
  settled(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const list = this.queue.length ? this.queuedWaiters : this.flushing ? this.inflightWaiters : undefined;
    if (!list) return Promise.resolve();
    return new Promise((resolve, reject) => list.push({ resolve, reject }));
  }

  /** Waits for what is pending, compacts everything into the snapshot, closes the files. */
  async close(): Promise<void> {
    await this.settled().catch(() => undefined);
    await this.compaction;
    if (!this.failure && this.records > 0) {
      await this.compact(snapshotBytes(this.opts.snapshot(), this.log + 1), this.log + 1).catch((err: unknown) => {
        this.opts.logger.warn({ err }, 'catalog: compaction on close failed; the log is kept and replayed next time');
      });
    }
    for (const fd of [this.fd, ...this.retired]) fs.closeSync(fd);
    this.retired.clear();
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.queue.length === 0) return;
    this.flushing = true;
    const batch = this.queue;
    this.queue = [];
    this.inflightWaiters = this.queuedWaiters;
    this.queuedWaiters = [];
    const syncDir = this.dirDirty;
    this.dirDirty = false;
    try {
      // File by file, in order: a later log's records reach the disk only after an earlier one's are
      // durable, so what survives a power loss is always a prefix of what was written.
      for (const group of byFile(batch)) {
        writeAllSync(group.fd, Buffer.concat(group.bytes), group.position);
        await fdatasync(group.fd);
      }
      if (syncDir) await fsyncDir(this.opts.dir);
      for (const w of this.inflightWaiters) w.resolve();
    } catch (err) {
      this.fail(err);
    } finally {
      this.inflightWaiters = [];
      this.flushing = false;
    }
    for (const fd of this.retired) {
      if (!this.queue.some((q) => q.fd === fd)) {
        fs.closeSync(fd);
        this.retired.delete(fd);
      }
    }
    if (this.queue.length && !this.failure) void this.flush();
  }

  /** Starts the next log; the state as of the current log's end becomes the snapshot in the background. */
  private rotate(): void {
    const next = this.log + 1;
    const bytes = snapshotBytes(this.opts.snapshot(), next); // now: the state moves on from here
    const created = createLog(this.opts.dir, next);
    this.retired.add(this.fd);
    ({ fd: this.fd, end: this.end } = created);
    this.log = next;
    this.records = 0;
    this.dirDirty = true; // the new file's entry must be durable before anything in it is acknowledged
    this.compaction = this.compact(bytes, next)
      .catch((err: unknown) => {
        void unlinkQuiet(join(this.opts.dir, SNAPSHOT_TMP));
        this.opts.logger.warn({ err }, 'catalog: compaction failed; the logs are kept and replayed, it is retried later');
      })
      .finally(() => (this.compaction = undefined));
  }

  private async compact(bytes: Buffer, nextLog: number): Promise<void> {
    await writeSnapshot(this.opts.dir, bytes);
    for (const n of listLogs(this.opts.dir)) if (n < nextLog) await unlinkQuiet(join(this.opts.dir, logName(n)));
  }

  private fail(err: unknown): void {
    this.failure = new CatalogError(
      'unavailable',
      `cannot write the catalog log in ${this.opts.dir} (${(err as Error).message}); nothing since is acknowledged. ` +
        'Fix the disk and restart maestro: it reloads what is durable.',
      { cause: err },
    );
    this.opts.logger.error({ err }, 'catalog: log write failed; the store refuses every operation until restarted');
    for (const w of [...this.inflightWaiters, ...this.queuedWaiters]) w.reject(this.failure);
    this.queuedWaiters = [];
  }
}

function byFile(batch: Queued[]): Array<{ fd: number; position: number; bytes: Buffer[] }> {
  const groups: Array<{ fd: number; position: number; bytes: Buffer[] }> = [];
  for (const q of batch) {
    const last = groups[groups.length - 1];
    if (last && last.fd === q.fd) last.bytes.push(q.bytes);
    else groups.push({ fd: q.fd, position: q.position, bytes: [q.bytes] });
  }
  return groups;
}
