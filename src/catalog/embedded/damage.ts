import { CatalogError } from '../types.js';

/**
 * The errors that stop the store from opening. Each names the file, the byte and what to do: the
 * store refuses to guess when guessing could silently drop acknowledged writes.
 */

const SEE = '  (src/catalog/embedded/README.md, "Recovery", explains the files and these steps.)';

/** A log is damaged at `offset` with records behind it, or holds a record that cannot be replayed. */
export function damagedLog(file: string, offset: number, why: string, laterLogs: string[]): CatalogError {
  const drop = laterLogs.length ? `\n    rm ${laterLogs.join(' ')}` : '';
  return new CatalogError(
    'unavailable',
    `the catalog log ${file} is damaged at byte ${offset}: ${why}.\n` +
      '  This is not an unfinished last write (which is cut by itself): it was complete once, and what\n' +
      '  follows it may hold acknowledged writes, so maestro will not start over it.\n' +
      `  To keep everything before byte ${offset} and lose the rest: stop maestro, back up the directory, then\n` +
      `    truncate -s ${offset} ${file}${drop}\n` +
      '  and start again; the scheduler re-creates allocations from the jobs, registrars re-register.\n' +
      SEE,
  );
}

/** The snapshot is damaged: it is only ever replaced whole and synced, so this is disk damage or an edit. */
export function damagedSnapshot(file: string, why: string): CatalogError {
  return new CatalogError(
    'unavailable',
    `the catalog snapshot ${file} is damaged: ${why}.\n` +
      '  It was written whole and synced before it replaced the previous one, so this is damage to the\n' +
      '  disk or an edit by hand; the state it held cannot be rebuilt from this directory.\n' +
      '  Restore the directory from a backup, or move it aside to start with an empty catalog (then submit\n' +
      '  the jobs again; running containers are adopted).\n' +
      SEE,
  );
}

/** The logs do not follow each other (one is missing): replaying around the gap would lose writes. */
export function missingLog(dir: string, missing: string, present: string[]): CatalogError {
  return new CatalogError(
    'unavailable',
    `the catalog in ${dir} is missing ${missing} (present: ${present.join(', ') || 'none'}).\n` +
      '  Logs are replayed in order and none may be skipped. Restore it from a backup, or move the\n' +
      '  directory aside to start with an empty catalog.\n' +
      SEE,
  );
}
