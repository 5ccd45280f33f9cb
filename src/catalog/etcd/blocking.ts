/**
 * Blocking reads on etcd: the catalog index is etcd's revision. A read with `index` watches its key
 * range from revision `index + 1`: an event in the range (a change after what the caller saw)
 * ends the wait, then the range is read afresh at the current revision. Because the watch covers
 * only the read's own range, unrelated writes never wake it. A wait that runs out returns the index
 * it was given (nothing in the range changed since then).
 *
 * A revision etcd has compacted away cannot be watched from: etcd cancels the watch, and the read
 * simply re-lists (returns the current state at the current revision) — the caller's next read
 * watches from there. While etcd is unreachable the watch waits inside the client (which reconnects
 * with back-off and resumes from the same revision); the final range read then fails with
 * `unavailable` and the caller (`watch()` in ../watch.ts) keeps serving its last value.
 */
import type { Watcher } from 'etcd3';
import { CatalogError, type BlockingOptions, type Indexed } from '../types.js';
import { abortError } from './client.js';
import type { EtcdContext } from './context.js';

/** Consul's cap, kept so a caller cannot park a watch for longer through either adapter. */
const MAX_WAIT_MS = 600_000;

export interface KeyRange {
  key: Buffer;
  /** etcd's range_end; absent watches the single key. */
  end?: Buffer;
}

type Outcome = 'changed' | 'timeout' | 'aborted' | 'closed';

export async function blockingRead<T>(
  ctx: EtcdContext,
  opts: BlockingOptions | undefined,
  range: KeyRange,
  read: () => Promise<Indexed<T>>,
): Promise<Indexed<T>> {
  const signal = opts?.signal;
  if (signal?.aborted) throw abortError();
  const index = opts?.index ?? 0;
  if (!(index > 0)) return read();
  const outcome = await waitForChange(ctx, range, index, Math.min(opts?.waitMs ?? 30_000, MAX_WAIT_MS), signal);
  if (outcome === 'aborted') throw abortError();
  if (outcome === 'closed') throw new CatalogError('closed', 'catalog closed');
  const result = await read();
  // Nothing changed in the range: hand back the caller's index. A lower revision than the one asked
  // for (etcd restored from an older snapshot) is handed back as is: watch() starts over then.
  if (outcome === 'timeout' && result.index >= index) return { index, value: result.value };
  return result;
}

function waitForChange(ctx: EtcdContext, range: KeyRange, index: number, waitMs: number, signal?: AbortSignal): Promise<Outcome> {
  return new Promise((resolve) => {
    let done = false;
    let watcher: Watcher | undefined;
    const finish = (outcome: Outcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      ctx.pending.delete(onClose);
      // Cancelling waits for etcd's answer on a live stream; nobody needs to wait for it.
      if (watcher) void watcher.cancel().catch(() => undefined);
      resolve(outcome);
    };
    const onAbort = () => finish('aborted');
    const onClose = () => finish('closed');
    const timer = setTimeout(() => finish('timeout'), waitMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    ctx.pending.add(onClose);
    try {
      const builder = ctx.client.watch().startRevision(String(index + 1));
      watcher = (range.end ? builder.inRange({ start: range.key, end: range.end }) : builder.key(range.key)).watcher();
    } catch (err) {
      // Only a closed client throws here; anything else would be a bug in the package.
      ctx.logger.debug({ err }, 'etcd watch could not be created');
      return finish(ctx.isClosed() ? 'closed' : 'changed');
    }
    // Progress notifications carry no events; any event in the range is a change.
    watcher.on('data', (res: { events?: unknown[] }) => {
      if (res.events?.length) finish('changed');
    });
    // A cancelled watch (compacted start revision, permission change): re-list instead of waiting.
    watcher.on('error', (err: unknown) => {
      ctx.logger.debug({ err, index }, 'etcd watch cancelled; reading the range afresh');
      finish('changed');
    });
    // A dropped stream is resumed by the client from the same revision; nothing to do but wait.
    watcher.on('disconnected', () => undefined);
  });
}
