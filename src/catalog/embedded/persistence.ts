import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import { CatalogState, type Change, type Snapshot } from './state.js';

/**
 * Crash-safe persistence for the embedded catalog: a snapshot file plus an append-only change log.
 *
 * Every change is appended with a synchronous write *before* the operation is acknowledged, so a
 * process killed at any point (SIGKILL) loses nothing it acknowledged: the bytes are in the kernel.
 * When the log grows past `compactAfter` lines, the state is written to a temp file, fsynced and
 * renamed over the snapshot (atomic), then the log is truncated. Replay is idempotent (changes carry
 * absolute state), so a crash between the rename and the truncation is harmless; a torn last line
 * (killed mid-write) is ignored.
 */
export class Persistence {
  private fd: number;
  private lines = 0;
  private readonly snapshotPath: string;
  private readonly logPath: string;

  private constructor(
    dir: string,
    private readonly compactAfter: number,
  ) {
    this.snapshotPath = join(dir, 'catalog.snapshot.json');
    this.logPath = join(dir, 'catalog.log');
    this.fd = openSync(this.logPath, 'a');
  }

  /** Opens (creating) the data directory and returns the persisted state with its writer. */
  static open(dir: string, compactAfter = 10_000): { state: CatalogState; persistence: Persistence } {
    mkdirSync(dir, { recursive: true });
    const p = new Persistence(dir, compactAfter);
    const state = existsSync(p.snapshotPath)
      ? CatalogState.fromSnapshot(JSON.parse(readFileSync(p.snapshotPath, 'utf8')) as Snapshot)
      : new CatalogState();
    if (existsSync(p.logPath)) {
      for (const line of readFileSync(p.logPath, 'utf8').split('\n')) {
        if (!line) continue;
        let change: Change;
        try {
          change = JSON.parse(line) as Change;
        } catch {
          continue; // torn write of a change that was never acknowledged
        }
        state.apply(change);
        p.lines++;
      }
    }
    return { state, persistence: p };
  }

  /** Appends one change; the caller applies it to the state afterwards, then calls `maybeCompact`. */
  append(change: Change): void {
    writeSync(this.fd, JSON.stringify(change) + '\n');
    this.lines++;
  }

  /** Rewrites the snapshot once the log is long; must see the state with every logged change applied. */
  maybeCompact(state: CatalogState): void {
    if (this.lines >= this.compactAfter) this.compact(state);
  }

  compact(state: CatalogState): void {
    const tmp = `${this.snapshotPath}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify(state.snapshot()));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.snapshotPath);
    ftruncateSync(this.fd, 0);
    this.lines = 0;
  }

  close(state: CatalogState): void {
    this.compact(state);
    closeSync(this.fd);
  }
}
