import fs from 'node:fs';
import { join } from 'node:path';
import { encodeFrame } from './frame.js';
import type { SnapshotFile } from './shape.js';
import type { Snapshot } from './state.js';

/**
 * The store's files and the few disk operations it needs, each with the syncs that make it survive
 * a power loss. They call `fs.*` through the module object on purpose: a test can watch the order of
 * writes, syncs and renames without replacing the disk.
 */

export const SNAPSHOT = 'catalog.snapshot';
export const SNAPSHOT_TMP = 'catalog.snapshot.tmp';
export const logName = (n: number): string => `catalog.${n}.log`;
const LOG_RE = /^catalog\.([1-9][0-9]{0,14})\.log$/;

/** The numbers of the log files present, ascending. */
export function listLogs(dir: string): number[] {
  return fs
    .readdirSync(dir)
    .map((f) => LOG_RE.exec(f)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/** The first frame of every log. */
export function logHeader(n: number): Buffer {
  return encodeFrame({ format: 'maestro-catalog-log', version: 1, log: n });
}

export function snapshotBytes(state: Snapshot, nextLog: number): Buffer {
  const file: SnapshotFile = { format: 'maestro-catalog-snapshot', version: 1, nextLog, state };
  return encodeFrame(file);
}

/** Writes all of `bytes` at `position` (a short write is retried from where it stopped). */
export function writeAllSync(fd: number, bytes: Buffer, position: number): void {
  let done = 0;
  while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done, position + done);
}

/** A directory's entries (a created, renamed or removed file) are durable only once it is fsynced. */
export function fsyncDirSync(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export function fsyncDir(dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.open(dir, 'r', (err, fd) => {
      if (err) return reject(err);
      fs.fsync(fd, (syncErr) => fs.close(fd, () => (syncErr ? reject(syncErr) : resolve())));
    });
  });
}

export function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

/**
 * Creates log `n` holding only its header, not yet synced: the first flush into it syncs the file and
 * the directory before anything written there is acknowledged. Returns its fd and length.
 */
export function createLog(dir: string, n: number): { fd: number; end: number } {
  const fd = fs.openSync(join(dir, logName(n)), 'wx');
  const header = logHeader(n);
  writeAllSync(fd, header, 0);
  return { fd, end: header.length };
}

/** Replaces the snapshot atomically and durably: temp file, fdatasync, rename, fsync the directory. */
export function writeSnapshotSync(dir: string, bytes: Buffer): void {
  const tmp = join(dir, SNAPSHOT_TMP);
  const fd = fs.openSync(tmp, 'w');
  try {
    writeAllSync(fd, bytes, 0);
    fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, join(dir, SNAPSHOT));
  fsyncDirSync(dir);
}

/** The same without blocking the event loop for the syncs (compaction runs while the catalog serves). */
export async function writeSnapshot(dir: string, bytes: Buffer): Promise<void> {
  const tmp = join(dir, SNAPSHOT_TMP);
  const fd = await new Promise<number>((resolve, reject) => fs.open(tmp, 'w', (err, f) => (err ? reject(err) : resolve(f))));
  try {
    await new Promise<void>((resolve, reject) => fs.write(fd, bytes, 0, bytes.length, 0, (err, n) => (err ? reject(err) : n < bytes.length ? reject(new Error('short write')) : resolve())));
    await fdatasync(fd);
  } finally {
    await new Promise<void>((resolve) => fs.close(fd, () => resolve()));
  }
  await new Promise<void>((resolve, reject) => fs.rename(tmp, join(dir, SNAPSHOT), (err) => (err ? reject(err) : resolve())));
  await fsyncDir(dir);
}

export function unlinkQuiet(path: string): Promise<void> {
  return new Promise((resolve) => fs.unlink(path, () => resolve()));
}
