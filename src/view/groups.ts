/**
 * A map of groups (allocations by job, by host; instances by service) whose member lists are handed
 * out as arrays built once per change of the group — reads between changes cost nothing, and a
 * change rebuilds only its own group's array, not the whole index.
 */
export class Groups<V> {
  private readonly members = new Map<string, Map<string, V>>();
  private readonly arrays = new Map<string, readonly V[]>();

  set(group: string, id: string, value: V): void {
    let m = this.members.get(group);
    if (!m) this.members.set(group, (m = new Map()));
    m.set(id, value);
    this.arrays.delete(group);
  }

  delete(group: string, id: string): void {
    const m = this.members.get(group);
    if (!m?.delete(id)) return;
    if (m.size === 0) this.members.delete(group);
    this.arrays.delete(group);
  }

  list(group: string): readonly V[] {
    let a = this.arrays.get(group);
    if (!a) {
      const m = this.members.get(group);
      if (!m) return EMPTY as readonly V[];
      this.arrays.set(group, (a = Object.freeze([...m.values()])));
    }
    return a;
  }

  ids(group: string): Iterable<string> {
    return this.members.get(group)?.keys() ?? [];
  }

  groups(): Iterable<string> {
    return this.members.keys();
  }

  clear(): void {
    this.members.clear();
    this.arrays.clear();
  }
}

const EMPTY: readonly unknown[] = Object.freeze([]);

/** Code-point order: stable across locales, and cheaper than localeCompare. */
export const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
