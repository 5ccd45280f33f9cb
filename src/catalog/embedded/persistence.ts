import fs from 'node:fs';
import type { Logger } from '../../log/index.js';
import { Journal } from './journal.js';
import { loadStore } from './load.js';
import { lockDirectory, type DirLock } from './lock.js';
import type { CatalogState, LogRecord } from './state.js';

/**
 * The embedded catalog's disk: an exclusive lock on the directory, the state rebuilt from the
 * snapshot and logs, and the journal every change is appended to. The file format, the fsync policy
 * and recovery are described in this folder's README.
 */
export class Persistence {
  private constructor(
    private readonly journal: Journal,
    private readonly lock: DirLock,
  ) {}

  /** Locks and loads `dir` (creating it); throws a CatalogError naming what to do when it cannot. */
  static open(dir: string, opts: { compactAfter: number; logger: Logger }): { state: CatalogState; persistence: Persistence } {
    fs.mkdirSync(dir, { recursive: true });
    const lock = lockDirectory(dir);
    try {
      const loaded = loadStore(dir, opts.logger);
      const journal = new Journal({ dir, ...loaded, compactAfter: opts.compactAfter, snapshot: () => loaded.state.snapshot(), logger: opts.logger });
      return { state: loaded.state, persistence: new Persistence(journal, lock) };
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  /** Queues a record; throws when the store has failed (then the change must not be applied). */
  append(record: LogRecord): void {
    this.journal.append(record);
  }

  /** Resolves once everything appended so far is durable. */
  settled(): Promise<void> {
    return this.journal.settled();
  }

  async close(): Promise<void> {
    try {
      await this.journal.close();
    } finally {
      this.lock.release();
    }
  }
}
