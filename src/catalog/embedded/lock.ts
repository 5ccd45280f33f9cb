import fs from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { CatalogError } from '../types.js';

/**
 * One process per store directory. Node has no flock, so the lock is a file created atomically and
 * naming its holder (pid, the kernel's start time of that pid, boot id, host name); a lock whose holder
 * is gone — killed with SIGKILL, or the machine rebooted — is stale and taken over.
 *
 * Taking over a stale lock must not let two newcomers both win. Locks are numbered, `lock.<n>`, and
 * only the highest counts: a newcomer that finds the highest free (stale or released) creates the
 * next number with link(2), which fails if it exists, then checks that nothing higher appeared; two
 * racing newcomers cannot both create the same number, and neither can pass a live holder's number.
 * Lower numbers are removed by the holder. The lock file is never removed on release, only marked
 * released, so numbers keep growing while the directory exists.
 */

const LOCK_RE = /^lock\.([1-9][0-9]{0,14})$/;

interface Holder {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: tells a reused pid from the holder. */
  start?: string;
  boot?: string;
  host: string;
  since: string;
  released?: boolean;
}

export interface DirLock {
  release(): void;
}

export function lockDirectory(dir: string): DirLock {
  const me: Holder = { pid: process.pid, start: procStat(process.pid)?.start, boot: bootId(), host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 50; attempt++) {
    const top = numbers(dir).at(-1);
    if (top !== undefined) {
      const holder = readHolder(join(dir, `lock.${top}`));
      if (holder === 'vanished') continue;
      if (holder && holds(holder, me)) throw locked(dir, holder, me);
    }
    const n = (top ?? 0) + 1;
    const path = join(dir, `lock.${n}`);
    if (!createWith(path, me)) continue; // another newcomer took n first: look again
    if ((numbers(dir).at(-1) ?? n) !== n) {
      fs.rmSync(path, { force: true }); // someone passed us (we had read an old top): look again
      continue;
    }
    for (const k of numbers(dir)) if (k < n) fs.rmSync(join(dir, `lock.${k}`), { force: true });
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        const tmp = join(dir, `lock.tmp.${randomUUID()}`);
        try {
          fs.writeFileSync(tmp, JSON.stringify({ ...me, released: true }));
          fs.renameSync(tmp, path);
        } catch (err) {
          // The directory is gone: nothing left to lock. Otherwise the lock would read as held.
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
      },
    };
  }
  throw new CatalogError('unavailable', `could not lock ${dir}: too many processes are starting on it at once`);
}

function holds(h: Holder, me: Holder): boolean {
  if (h.released) return false;
  if (h.host !== me.host) return true; // another machine or container: its pids mean nothing here, assume alive
  if (h.boot && me.boot && h.boot !== me.boot) return false; // written before a reboot
  if (h.pid === me.pid) return h.start === me.start; // this very process (a second open) — or a reused pid
  try {
    process.kill(h.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const now = procStat(h.pid);
  if (now && /^[ZX]/.test(now.state)) return false; // killed, not yet reaped by its parent
  return !(h.start && now && now.start !== h.start); // alive, unless the pid now names another process
}

function locked(dir: string, h: Holder, me: Holder): CatalogError {
  const who = h.pid === me.pid && h.host === me.host ? `this process (pid ${h.pid}) already has it open` : `maestro pid ${h.pid} on ${h.host} holds it since ${h.since}`;
  const remote = h.host !== me.host ? `\n  If that process is gone, remove ${join(dir, 'lock.*')} by hand.` : '';
  return new CatalogError(
    'unavailable',
    `the catalog in ${dir} is in use: ${who}.\n  Two processes on one data directory would corrupt it: stop the other one, or give this one its own --data-dir.${remote}`,
  );
}

function numbers(dir: string): number[] {
  return fs
    .readdirSync(dir)
    .map((f) => LOCK_RE.exec(f)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/** The holder named in a lock file; undefined (stale) when unreadable; 'vanished' when just removed. */
function readHolder(path: string): Holder | undefined | 'vanished' {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'vanished';
    throw err;
  }
  try {
    const h = JSON.parse(text) as Holder;
    return Number.isInteger(h?.pid) && typeof h.host === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
}

/** Creates `path` holding `holder`, complete or not at all: written aside, then linked (fails if it exists). */
function createWith(path: string, holder: Holder): boolean {
  const tmp = `${path}.tmp.${randomUUID()}`;
  fs.writeFileSync(tmp, JSON.stringify(holder));
  try {
    fs.linkSync(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Fields 3 (state) and 22 (start time) of /proc/<pid>/stat; the name before them may hold spaces. */
function procStat(pid: number): { state: string; start: string } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, start: fields[19]! };
  } catch {
    return undefined;
  }
}

function bootId(): string | undefined {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
}
