import fs from 'node:fs';
import { join } from 'node:path';
import { CatalogError } from '../types.js';
import type { Logger } from '../../log/index.js';
import { fsyncDirSync, listLogs, snapshotBytes, SNAPSHOT, writeSnapshotSync } from './files.js';
import { checkRecord, checkSnapshotFile } from './shape.js';
import { CatalogState, type Change } from './state.js';

const OLD_SNAPSHOT = 'catalog.snapshot.json';
const OLD_LOG = 'catalog.log';

/**
 * Converts a data directory written before the framed format (an unchecked JSON snapshot and a
 * JSON-lines log, one line per change) into a framed snapshot, then removes the old files. Old lines
 * carry no checksum, so a line that does not read cannot be told from a torn one: it is skipped with a
 * warning, as the old code did (orphaned locks it may leave are released when the store opens).
 */
export function migrateLegacy(dir: string, log: Logger): void {
  const oldSnapshot = join(dir, OLD_SNAPSHOT);
  const oldLog = join(dir, OLD_LOG);
  if (!fs.existsSync(oldSnapshot) && !fs.existsSync(oldLog)) return;
  if (fs.existsSync(join(dir, SNAPSHOT)) || listLogs(dir).length) {
    throw new CatalogError('unavailable', `${dir} holds both the old (${OLD_SNAPSHOT}, ${OLD_LOG}) and the new catalog files; move the old ones aside`);
  }
  let state = new CatalogState();
  if (fs.existsSync(oldSnapshot)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(oldSnapshot, 'utf8'));
    } catch (err) {
      throw new CatalogError('unavailable', `the old catalog snapshot ${oldSnapshot} does not read (${(err as Error).message}); restore it from a backup or move it aside`);
    }
    const checked = checkSnapshotFile({ format: 'maestro-catalog-snapshot', version: 1, nextLog: 1, state: parsed });
    if (!checked.ok) throw new CatalogError('unavailable', `the old catalog snapshot ${oldSnapshot} has the wrong shape at ${checked.why}; restore it from a backup or move it aside`);
    state = CatalogState.fromSnapshot(checked.value.state);
  }
  let skipped = 0;
  if (fs.existsSync(oldLog)) {
    for (const line of fs.readFileSync(oldLog, 'utf8').split('\n')) {
      if (!line) continue;
      const record = oldLine(line);
      if (!record.ok || record.value.index <= 0) {
        skipped++;
        continue;
      }
      state.apply(record.value);
    }
  }
  if (skipped) log.warn({ file: oldLog, skipped }, 'catalog: skipped old log lines that do not read while converting to the framed format');
  writeSnapshotSync(dir, snapshotBytes(state.snapshot(), 1));
  fs.rmSync(oldLog, { force: true });
  fs.rmSync(oldSnapshot, { force: true });
  fsyncDirSync(dir);
  log.info({ dir, file: SNAPSHOT }, 'catalog: converted the old catalog files to the framed format');
}

/** An old line is one change with its own index: `{ t, index, ...fields }`. */
function oldLine(line: string): ReturnType<typeof checkRecord> {
  try {
    const { index, ...change } = JSON.parse(line) as { index: number } & Change;
    return checkRecord({ index, changes: [change] });
  } catch {
    return { ok: false, why: 'not JSON' };
  }
}
