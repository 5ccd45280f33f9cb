import { CatalogError, type BlockingOptions, type Indexed } from '../types.js';
import { silentLogger, type Logger } from '../../log/index.js';
import { Persistence } from './persistence.js';
import { CatalogState, type Change, type LogRecord, type Table } from './state.js';
import { Waiters } from './waiters.js';
import { followStore, RecentLog } from './feed.js';
import type { FeedBatch, FollowOptions } from '../feed/types.js';

export interface EmbeddedOptions {
  /** Persist under this directory; absent keeps everything in memory. */
  dataDir?: string;
  /** How often session TTLs are checked. */
  reapIntervalMs?: number;
  /** Records in a log before the state is snapshotted and a new log started. */
  compactAfter?: number;
  /** Told about recovery at open (an unfinished write cut, orphaned locks released) and disk failures. */
  logger?: Logger;
  /** Records kept in memory for the change feed (feed.ts); a follower further behind gets a reset (default 10,000). */
  feedLogSize?: number;
}

/**
 * What every embedded catalog operation stands on: the state, its persistence, blocking-read waiters
 * and session expiry. A change is committed as one record (queued for the disk, then applied); an
 * operation answers only after `durable()`, once everything it may have seen or made is on disk.
 */
export class StoreCore {
  protected readonly state: CatalogState;
  private readonly persistence?: Persistence;
  private readonly waiters = new Waiters();
  private readonly closers = new Set<() => void>();
  protected readonly log: RecentLog;
  protected readonly expiry = new Map<string, number>();
  private readonly reaper: NodeJS.Timeout;
  private closed = false;

  constructor(opts: EmbeddedOptions) {
    const logger = opts.logger ?? silentLogger;
    this.log = new RecentLog(opts.feedLogSize ?? 10_000);
    if (opts.dataDir) {
      const opened = Persistence.open(opts.dataDir, { compactAfter: opts.compactAfter ?? 10_000, logger });
      this.state = opened.state;
      this.persistence = opened.persistence;
    } else {
      this.state = new CatalogState();
    }
    const now = Date.now();
    for (const s of this.state.sessions.values()) this.expiry.set(s.id, now + s.ttlMs);
    const index = this.next();
    const repairs = this.state.orphanRepairs(index);
    if (repairs.length) {
      logger.warn({ changes: repairs.length }, 'catalog: released locks and marked hosts down whose session no longer exists');
      this.commit({ index, changes: repairs });
    }
    this.reaper = setInterval(() => this.reap(), opts.reapIntervalMs ?? 100);
    this.reaper.unref();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.reaper);
    this.waiters.closeAll(new CatalogError('closed', 'catalog closed'));
    for (const end of [...this.closers]) end();
    await this.persistence?.close();
  }

  // --- internals ---

  /**
   * The index of the next change. Reads of a table nobody wrote yet answer index 1 (never 0, like
   * Consul), so the first write must land above that, or a reader blocked on 1 would miss it.
   */
  protected next(): number {
    return Math.max(this.state.index, 1) + 1;
  }

  /** One change as one record at the next index. */
  protected write(change: Change): void {
    this.commit({ index: this.next(), changes: [change] });
  }

  /**
   * Queues the record for the disk first (refused once the disk failed: then nothing is applied),
   * then applies it and wakes blocking readers, who answer only once it is durable (`durable`).
   */
  protected commit(record: LogRecord): void {
    this.persistence?.append(record);
    for (const table of this.state.apply(record)) this.waiters.wake(table, this.state.tableIndex[table]);
    this.log.push(record);
  }

  /** The change feed (feed.ts): replayed from the in-memory log, or a reset from the state. */
  follow(opts: FollowOptions, onBatch: (b: FeedBatch) => void): Promise<void> {
    this.assertOpen();
    return followStore(
      {
        state: this.state,
        log: this.log,
        durable: () => this.durable(),
        onClose: (end) => {
          this.closers.add(end);
          return () => this.closers.delete(end);
        },
      },
      opts,
      onBatch,
    );
  }

  /** Resolves once every change applied so far is durable: every operation's answer waits for it. */
  protected durable(): Promise<void> {
    return this.persistence ? this.persistence.settled() : Promise.resolve();
  }

  protected async blocking<T>(table: Table, opts: BlockingOptions | undefined, read: () => T): Promise<Indexed<T>> {
    this.assertOpen();
    const wanted = opts?.index ?? 0;
    if (wanted > 0 && this.state.tableIndex[table] <= wanted) {
      await this.waiters.wait(table, wanted, opts?.waitMs ?? 30_000, opts?.signal);
    }
    // Index 0 would make a follow-up blocking read return at once forever; Consul never returns 0 either.
    const answer = { index: Math.max(1, this.state.tableIndex[table]), value: read() };
    await this.durable();
    return answer;
  }

  protected requireSession(id: string): void {
    if (!this.state.sessions.has(id)) throw new CatalogError('session_invalid', `session ${id} does not exist`);
  }

  /**
   * Session death: its locks are released and its hosts marked down (Consul's `release` behaviour),
   * all in one record, so no crash can leave a lock held by a session that is gone.
   */
  protected invalidate(id: string): void {
    if (!this.state.sessions.has(id)) return;
    const index = this.next();
    const changes: Change[] = [{ t: 'session-del', id }];
    for (const entry of this.state.kv.values()) {
      if (entry.session !== id) continue;
      const { session: _released, ...rest } = entry;
      changes.push({ t: 'kv', entry: { ...rest, modifyIndex: index } });
    }
    for (const host of this.state.hosts.values()) {
      if (host.session === id) changes.push({ t: 'host', host: { record: host.record } });
    }
    this.commit({ index, changes });
    this.expiry.delete(id);
  }

  private reap(): void {
    if (this.closed) return;
    const now = Date.now();
    try {
      for (const [id, deadline] of this.expiry) if (deadline <= now) this.invalidate(id);
    } catch {
      // The disk failed: the journal refuses every write and every operation reports it.
    }
  }

  protected assertOpen(): void {
    if (this.closed) throw new CatalogError('closed', 'catalog closed');
  }
}
