import fs from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../log/index.js';
import { damagedLog, damagedSnapshot, missingLog } from './damage.js';
import { createLog, fsyncDirSync, listLogs, logHeader, logName, SNAPSHOT, SNAPSHOT_TMP, writeAllSync } from './files.js';
import { scanFrames, type Scan } from './frame.js';
import { migrateLegacy } from './legacy.js';
import { checkHeader, checkRecord, checkSnapshotFile } from './shape.js';
import { CatalogState } from './state.js';

export interface Loaded {
  state: CatalogState;
  /** The log appends go to, open for writing, and its length. */
  log: number;
  fd: number;
  end: number;
  /** Records replayed since the snapshot: how soon the next compaction is due. */
  records: number;
}

/**
 * Rebuilds the state from the snapshot and the logs after it, in order. An unfinished last write is
 * cut (it was never acknowledged); anything else that does not read — a damaged frame with data
 * after it, a record of the wrong shape, an index out of order, a missing log, a damaged snapshot —
 * stops the store with an error naming the file, the byte and what to do.
 */
export function loadStore(dir: string, log: Logger): Loaded {
  fs.rmSync(join(dir, SNAPSHOT_TMP), { force: true }); // a compaction that did not finish
  migrateLegacy(dir, log);
  let state = new CatalogState();
  let first = 1;
  const snapshotPath = join(dir, SNAPSHOT);
  if (fs.existsSync(snapshotPath)) {
    const scan = scanFrames(fs.readFileSync(snapshotPath));
    if (scan.problem) throw damagedSnapshot(snapshotPath, scan.problem.torn ? 'it ends early (truncated)' : scan.problem.why);
    if (scan.frames.length !== 1) throw damagedSnapshot(snapshotPath, `it holds ${scan.frames.length} frames, not 1`);
    const file = checkSnapshotFile(scan.frames[0]!.value);
    if (!file.ok) throw damagedSnapshot(snapshotPath, `wrong shape at ${file.why}`);
    state = CatalogState.fromSnapshot(file.value.state);
    first = file.value.nextLog;
  }

  const present = listLogs(dir);
  for (const n of present) if (n < first) fs.unlinkSync(join(dir, logName(n))); // already in the snapshot
  const logs = present.filter((n) => n >= first);
  logs.forEach((n, i) => {
    if (n !== first + i) throw missingLog(dir, logName(first + i), logs.map(logName));
  });
  if (logs.length === 0) {
    const created = createLog(dir, first);
    fs.fsyncSync(created.fd);
    fsyncDirSync(dir);
    return { state, log: first, fd: created.fd, end: created.end, records: 0 };
  }

  const scans = logs.map((n) => ({ n, path: join(dir, logName(n)), scan: scanFrames(fs.readFileSync(join(dir, logName(n)))) }));
  let records = 0;
  scans.forEach(({ n, path, scan }, i) => {
    const later = scans.slice(i + 1);
    const laterPaths = later.map((l) => l.path);
    const [header, ...body] = scan.frames;
    if (header) {
      const h = checkHeader(header.value);
      if (!h.ok || h.value.log !== n) throw damagedLog(path, 0, `its header does not name log ${n}`, laterPaths);
    }
    for (const frame of body) {
      const r = checkRecord(frame.value);
      if (!r.ok) throw damagedLog(path, frame.offset, `a record of the wrong shape (${r.why})`, laterPaths);
      if (r.value.index <= state.index) {
        throw damagedLog(path, frame.offset, `record index ${r.value.index} does not follow ${state.index}`, laterPaths);
      }
      state.apply(r.value);
      records++;
    }
    const problem = scan.problem;
    if (problem && !problem.torn) throw damagedLog(path, problem.offset, problem.why, laterPaths);
    // An unfinished write is the end of what was written: no later log may hold a record.
    if (problem && later.some((l) => l.scan.frames.length > 1)) {
      throw damagedLog(path, problem.offset, 'an unfinished write, yet a later log holds records', laterPaths);
    }
    if (problem || !header) cut(path, n, scan, log);
  });

  const last = scans[scans.length - 1]!;
  const fd = fs.openSync(last.path, 'r+');
  return { state, log: last.n, fd, end: fs.fstatSync(fd).size, records };
}

/** Cuts an unfinished write off a log (rewriting its header if that was what was unfinished), durably. */
function cut(path: string, n: number, scan: Scan, log: Logger): void {
  const fd = fs.openSync(path, 'r+');
  try {
    const size = fs.fstatSync(fd).size;
    if (scan.frames.length === 0) {
      fs.ftruncateSync(fd, 0);
      writeAllSync(fd, logHeader(n), 0);
    } else {
      fs.ftruncateSync(fd, scan.end);
    }
    fs.fsyncSync(fd);
    log.warn(
      { file: path, offset: scan.end, bytes: size - scan.end },
      'catalog: cut an unfinished write at the end of a log; the process stopped while writing it, so it was never acknowledged',
    );
  } finally {
    fs.closeSync(fd);
  }
}
