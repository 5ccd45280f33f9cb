/**
 * The fast DNS-over-TCP path: the dns-tcp addon (native/dns-tcp/) accepts, reads the 2-byte-framed
 * queries and writes the framed answers in C on libuv's loop, with no Node `net.Socket` per
 * connection, and enforces tcp.ts's limits and deadlines itself. Each query reaches the handler as a
 * view of the addon's arena, valid during the call only (as on the native UDP path); a forwarded
 * query's answer comes back through `answer(id)` when its promise settles, possibly out of order
 * (RFC 7766 §6.2.1.1).
 */
import type { Logger } from 'pino';
import type { TcpLimits } from './tcp.js';
import type { Handler } from './udp.js';

/** The addon's surface (see native/dns-tcp/dns-tcp.h). */
export interface DnsTcpAddon {
  /** Binds and listens synchronously; throws an Error whose `code` is the errno name (EADDRINUSE, …). */
  listen(
    host: string,
    port: number,
    maxConnections: number,
    idleMs: number,
    ioMs: number,
    maxQueuedBytes: number,
    maxInFlight: number,
    onQuery: (id: number, offset: number, length: number) => Buffer | null | boolean,
  ): DnsTcpHandle;
}

export interface DnsTcpHandle {
  readonly port: number;
  /** Queries are `arena[offset, offset + length)` during onQuery. */
  readonly arena: Buffer;
  /** [open connections, rejected at the cap, accepted]. */
  stats(): [number, number, number];
  /** A deferred answer; null: the query gets none, its in-flight slot frees. Stale ids are ignored. */
  answer(id: number, reply: Buffer | null): void;
  /** Idempotent; the port is free and every connection closed when it returns. */
  close(): void;
}

/** What transport.ts needs of either TCP path (tcp-listen.ts). */
export interface TcpServing {
  readonly io: 'native' | 'node';
  /** The address bound (as net reports it: the host's address, resolved). */
  readonly host: string;
  readonly port: number;
  stats(): { connections: number; rejected: number };
  close(): Promise<void>;
}

export function serveTcpNative(addon: DnsTcpAddon, host: string, port: number, handle: Handler, log: Logger, limits: TcpLimits): TcpServing {
  let h: DnsTcpHandle | undefined;
  const settled = (id: number) => (r: Buffer | null) => h!.answer(id, r);
  const failed = (id: number) => (err: unknown) => {
    log.error({ err }, 'dns forward failed');
    h!.answer(id, null);
  };
  // Returns the answer, null (none), true (it comes later through answer(id)) or false (close: the
  // handler threw, as tcp-connection.ts closes then).
  const onQuery = (id: number, offset: number, length: number): Buffer | null | boolean => {
    let res: ReturnType<Handler>;
    try {
      res = handle(h!.arena.subarray(offset, offset + length), false);
    } catch (err) {
      log.error({ err }, 'dns handler threw; connection closed');
      return false;
    }
    if (!(res instanceof Promise)) return res;
    res.then(settled(id), failed(id));
    return true;
  };
  const { maxConnections, idleMs, ioMs, maxQueuedBytes, maxInFlight } = limits;
  h = addon.listen(host, port, maxConnections, idleMs, ioMs, maxQueuedBytes, maxInFlight, onQuery);
  return {
    io: 'native',
    host,
    port: h.port,
    stats: () => {
      const [connections, rejected] = h!.stats();
      return { connections, rejected };
    },
    close: async () => h!.close(),
  };
}
