/**
 * The agent's reported allocation statuses: read back from the catalog once (so a restarted agent
 * keeps `healthySince` and sticky failures and rewrites nothing), then written only when changed.
 */
import type { Catalog } from '../catalog/types.js';
import { keys, type AllocStatus } from '../state/index.js';
import { sameStatus } from './plan.js';

export class StatusStore {
  private written: Map<string, AllocStatus> | undefined;

  constructor(
    private readonly catalog: Catalog,
    private readonly host: string,
    private readonly onWrite: () => void,
  ) {}

  /** The statuses last reported; empty until they could be read (the read is retried each pass). */
  async previous(): Promise<ReadonlyMap<string, AllocStatus>> {
    if (!this.written) {
      const { value } = await this.catalog.kvList(keys.allocStatusPrefix(this.host)).catch(() => ({ value: undefined }));
      if (value) this.written = new Map(value.map((e) => JSON.parse(e.value) as AllocStatus).map((s) => [s.allocId, s]));
    }
    return this.written ?? new Map();
  }

  /** Writes changed statuses and deletes those of allocations not in `live`; rejects on the first failure. */
  async write(statuses: AllocStatus[], live: ReadonlySet<string>): Promise<void> {
    const known = this.written;
    if (!known) return; // unknown what is there: writing blind could undo a sticky failure
    const ops = statuses
      .filter((s) => !sameStatus(known.get(s.allocId), s))
      .map(async (s) => {
        await this.catalog.kvPut(keys.allocStatus(this.host, s.allocId), JSON.stringify(s));
        known.set(s.allocId, s);
        this.onWrite();
      });
    for (const id of known.keys()) {
      if (!live.has(id)) ops.push(this.catalog.kvDelete(keys.allocStatus(this.host, id)).then(() => void known.delete(id)));
    }
    const failed = (await Promise.allSettled(ops)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
