/** What transport.ts needs from either UDP path (udp-native.ts, udp-node.ts). */

/**
 * Called per DNS message: returns the response, null (drop) or a promise of either (forwarded
 * queries). `msg` is only valid during the synchronous call (on the native path it is a view of a
 * receive buffer the next batch overwrites): copy it before any await.
 */
export type Handler = (msg: Buffer, udp: boolean) => Buffer | null | Promise<Buffer | null>;

export type UdpIo = 'native' | 'node';

export interface UdpStats {
  /** Replies the kernel did not take (socket buffer full, or the send failed): the client retries. */
  sendDropped: number;
  /** Datagrams larger than a receive slot (4 KiB on the native path): dropped unread. */
  oversize: number;
  /** Native path: reads (recvmmsg calls that returned datagrams) and datagrams read; 0 on dgram. */
  batches: number;
  datagrams: number;
}

export interface UdpServing {
  readonly io: UdpIo;
  readonly port: number;
  stats(): UdpStats;
  /** Idempotent; the port is free when it returns. */
  close(): void;
}
