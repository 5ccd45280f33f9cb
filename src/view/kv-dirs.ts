/**
 * Raw KV entries grouped by directory (the key up to its last `/`), so a prefix read — the replica
 * claims of one job, the volume homes, a job's versions — walks the directories under the prefix,
 * not every key in the cluster (there are 100,000 allocation and status keys at scale).
 */
import type { KVEntry } from '../catalog/types.js';
import { byCodePoint } from './groups.js';

export class KvDirs {
  private readonly entries = new Map<string, KVEntry>();
  private readonly dirs = new Map<string, Map<string, KVEntry>>();

  get size(): number {
    return this.entries.size;
  }

  get(key: string): KVEntry | undefined {
    return this.entries.get(key);
  }

  set(entry: KVEntry): void {
    this.entries.set(entry.key, entry);
    const dir = dirOf(entry.key);
    let d = this.dirs.get(dir);
    if (!d) this.dirs.set(dir, (d = new Map()));
    d.set(entry.key, entry);
  }

  delete(key: string): KVEntry | undefined {
    const before = this.entries.get(key);
    if (!before) return undefined;
    this.entries.delete(key);
    const dir = dirOf(key);
    const d = this.dirs.get(dir)!;
    d.delete(key);
    if (d.size === 0) this.dirs.delete(dir);
    return before;
  }

  /** Every entry whose key starts with `prefix`, in key (code-point) order. */
  prefix(prefix: string): KVEntry[] {
    const out: KVEntry[] = [];
    const own = this.dirs.get(dirOf(prefix));
    if (own) for (const e of own.values()) if (e.key.startsWith(prefix)) out.push(e);
    const ownDir = dirOf(prefix);
    for (const [dir, d] of this.dirs) {
      if (dir === ownDir || !dir.startsWith(prefix)) continue;
      for (const e of d.values()) out.push(e);
    }
    return out.sort((a, b) => byCodePoint(a.key, b.key));
  }

  values(): Iterable<KVEntry> {
    return this.entries.values();
  }

  clear(): void {
    this.entries.clear();
    this.dirs.clear();
  }
}

function dirOf(key: string): string {
  return key.slice(0, key.lastIndexOf('/') + 1);
}
