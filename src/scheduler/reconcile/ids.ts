import { hashString, seededRng, type Rng } from '../placement/index.js';

/** Allocation ids `<job>-<ordinal>-<8 hex>`, drawn from the pass's seed so a plan replays exactly. */
export function idMaker(seed: number, taken: { has(id: string): boolean }): (job: string, ordinal: number) => string {
  const rng: Rng = seededRng(hashString('alloc-ids', seed));
  // Only this pass's ids are copied: `taken` may be the whole cluster's (the state view's index).
  const used = new Set<string>();
  return (job, ordinal) => {
    for (;;) {
      const suffix = Math.floor(rng() * 0x1_0000_0000).toString(16).padStart(8, '0');
      const id = `${job}-${ordinal}-${suffix}`;
      if (!used.has(id) && !taken.has(id)) {
        used.add(id);
        return id;
      }
    }
  };
}
