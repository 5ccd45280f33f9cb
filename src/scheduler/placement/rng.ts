/** A small seeded PRNG (mulberry32): placement must replay exactly for a given seed. */
export type Rng = () => number;

export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** FNV-1a, to derive a per-job seed so one job's placement does not depend on which jobs came before. */
export function hashString(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * A seeded random permutation of `items`, drawn lazily (Fisher–Yates one step per element read), so
 * a job that looks at 30 of 5,000 hosts pays for 30 draws, not 5,000.
 */
export class LazyShuffle {
  private drawn = 0;
  constructor(
    private readonly items: Uint32Array,
    private readonly rng: Rng,
  ) {}

  get length(): number {
    return this.items.length;
  }

  /** The k-th element of the permutation, 0 <= k < length. */
  at(k: number): number {
    const a = this.items;
    while (this.drawn <= k) {
      const i = this.drawn++;
      const j = i + Math.floor(this.rng() * (a.length - i));
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
    return a[k]!;
  }
}
