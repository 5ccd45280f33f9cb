/**
 * Where the table's long-lived bytes (encoded answers, the index shards' keys) are allocated. Two ways, chosen per build:
 *
 * - **dense** (the first table, all names at once): sliced back to back from 8 KB slabs that hold
 *   nothing else, ~100 answers a slab, so 33,000 answers do not each pay an ArrayBuffer's ~200
 *   bytes of bookkeeping. They were sliced from Node's shared pool before, as `Buffer.allocUnsafe`
 *   does, which works as long as the answers live together;
 * - **exact** (every later build): each answer gets its own memory, freed with it. A busy catalog
 *   replaces a few answers per change: a slice of a shared slab keeps the whole slab alive as long
 *   as it lives, and with Node's pool (which every socket read, query and reply also uses) each
 *   change pinned about one 8 KB slab — ~12 MB of external memory in 20 s of 100 changes/s that no
 *   collection gave back (`bench/dns/churn.js`). Slabs of its own did no better: an answer of each
 *   change kept its slab alive until every answer in it had been replaced.
 */

/** Node's pool size: a slab's bookkeeping stays small beside it. */
const SLAB_BYTES = 8 * 1024;

export class TableMemory {
  /** Slice from slabs (a build of many answers that live together), or give each its own memory. */
  dense = true;
  #slab: Buffer | undefined;
  #used = 0;

  /** `size` uninitialised bytes that live as long as the table data referring to them. */
  bytes(size: number): Buffer {
    // Big ones get their own memory, as Node's pool does (a slab would be mostly theirs anyway).
    if (!this.dense || size > SLAB_BYTES >>> 2) return Buffer.allocUnsafeSlow(size);
    if (this.#slab === undefined || this.#used + size > SLAB_BYTES) {
      this.#slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
      this.#used = 0;
    }
    const out = this.#slab.subarray(this.#used, this.#used + size);
    this.#used = (this.#used + size + 7) & ~7; // 8-byte aligned, as Node's pool
    return out;
  }

  /** `parts` back to back in one Buffer of table memory. */
  pack(...parts: Buffer[]): Buffer {
    let size = 0;
    for (const p of parts) size += p.length;
    const out = this.bytes(size);
    let at = 0;
    for (const p of parts) at += p.copy(out, at);
    return out;
  }

  /** A latin1 string's bytes in table memory. */
  latin1(text: string): Buffer {
    const out = this.bytes(text.length);
    out.write(text, 0, text.length, 'latin1');
    return out;
  }

  /** Done with dense builds: the slab's unused tail is not held for later. */
  settle(): void {
    this.dense = false;
    this.#slab = undefined;
  }
}
