/**
 * The fast UDP path: the udp-batch addon (native/udp-batch.c) reads up to 64 datagrams per
 * `recvmmsg` into one receive arena, calls `onBatch(count)` once, and sends the replies it returns
 * with one `sendmmsg`. Queries reach the handler as views of the arena (no copy, no rinfo); a
 * forwarded query keeps a copy of its sender's address (`peer`) and answers later with `sendTo`.
 */
import type { Logger } from 'pino';
import type { HostPort } from '../config/index.js';
import type { Handler, UdpServing } from './udp.js';

/** The addon's surface (see native/udp-batch.c). */
export interface UdpBatchAddon {
  readonly SLOTS: number;
  readonly SLOT_SIZE: number;
  /** Binds synchronously; throws an Error whose `code` is the errno name (EADDRINUSE, …). */
  open(host: string, port: number, onBatch: (count: number) => readonly (Buffer | null)[]): UdpBatchHandle;
}

export interface UdpBatchHandle {
  readonly port: number;
  /** SLOTS × SLOT_SIZE bytes; slot i holds datagram i of the current batch. */
  readonly arena: Buffer;
  /** Length of datagram i, or -1 for one to skip (oversize, or from port 0). */
  readonly lens: Int32Array;
  /** [sendDropped, oversize, batches, datagrams]. */
  readonly counters: Float64Array;
  /** The sender of slot i of the current batch, as an opaque buffer for sendTo. */
  peer(slot: number): Buffer;
  sendTo(reply: Buffer, peer: Buffer): void;
  close(): void;
}

export function serveUdpNative(addon: UdpBatchAddon, addr: HostPort, handle: Handler, log: Logger): UdpServing {
  const size = addon.SLOT_SIZE;
  const replies: (Buffer | null)[] = new Array<Buffer | null>(addon.SLOTS).fill(null);
  let h: UdpBatchHandle | undefined;
  const later = (res: Promise<Buffer | null>, peer: Buffer) =>
    res.then((r) => r !== null && h!.sendTo(r, peer), (err: unknown) => log.error({ err }, 'dns forward failed'));
  // One call per batch; a throwing handler costs its own message only.
  const onBatch = (count: number): readonly (Buffer | null)[] => {
    const { arena, lens } = h!;
    for (let i = 0; i < count; i++) {
      replies[i] = null;
      const len = lens[i]!;
      if (len < 0) continue;
      const off = i * size;
      let res: ReturnType<Handler>;
      try {
        res = handle(arena.subarray(off, off + len), true);
      } catch (err) {
        log.error({ err }, 'dns handler threw; packet dropped');
        continue;
      }
      if (res instanceof Promise) void later(res, h!.peer(i));
      else replies[i] = res;
    }
    return replies;
  };
  h = addon.open(addr.host, addr.port, onBatch);
  const { counters } = h;
  return {
    io: 'native',
    port: h.port,
    stats: () => ({ sendDropped: counters[0]!, oversize: counters[1]!, batches: counters[2]!, datagrams: counters[3]! }),
    close: () => h!.close(),
  };
}
