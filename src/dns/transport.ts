/**
 * UDP and TCP listeners on one address and port. They know nothing of DNS beyond TCP's 2-byte length
 * framing: every message goes to `handle`, which returns the response, null (drop) or a promise of
 * either (forwarded queries). A throwing handler is logged and the packet dropped — the listener
 * itself keeps serving. UDP goes through the udp-batch addon (recvmmsg/sendmmsg) when it is built,
 * else through Node's dgram; TCP always through `net`.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { HostPort } from '../config/index.js';
import { loadNative } from '../native/index.js';
import type { Handler, UdpIo, UdpServing, UdpStats } from './udp.js';
import { serveUdpNative, type UdpBatchAddon } from './udp-native.js';
import { serveUdpNode } from './udp-node.js';

export type { Handler, UdpIo, UdpStats } from './udp.js';

/** Stable codes of the DNS component's errors; the CLI decides what to print. */
export class DnsError extends Error {
  readonly code: 'bind_failed';
  constructor(code: 'bind_failed', message: string, options?: { cause?: unknown }) {
    super(`dns: ${message}`, options);
    this.name = 'DnsError';
    this.code = code;
  }
}

export interface Listeners {
  readonly address: HostPort;
  /** Which UDP path serves. */
  readonly udpIo: UdpIo;
  udpStats(): UdpStats;
  close(): Promise<void>;
}

export interface ListenOptions {
  /** `auto` (default): the native UDP path when the addon loads; `node`: always Node's dgram. */
  udpIo?: 'auto' | 'node';
}

/** TCP connections idle this long are closed (RFC 7766 suggests seconds, not minutes). */
const TCP_IDLE_MS = 10_000;

/** Binds UDP then TCP on the same port; with port 0, retries until one ephemeral port is free for both. */
export async function listen(addr: HostPort, handle: Handler, log: Logger, opts: ListenOptions = {}): Promise<Listeners> {
  // Throws under MAESTRO_REQUIRE_NATIVE=1 when the addon is missing: CI must test the fast path.
  const addon = opts.udpIo === 'node' ? undefined : loadNative<UdpBatchAddon>('udp-batch');
  for (let attempt = 0; ; attempt++) {
    let udp: UdpServing;
    try {
      udp = addon ? serveUdpNative(addon, addr, handle, log) : await serveUdpNode(addr, handle, log);
    } catch (err) {
      throw new DnsError('bind_failed', `cannot bind UDP ${addr.host}:${addr.port}: ${(err as Error).message}`, { cause: err });
    }
    const conns = new Set<Socket>();
    const tcp = createServer((conn) => {
      conns.add(conn);
      conn.on('close', () => conns.delete(conn));
      serveTcp(conn, handle, log);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(udp.port, addr.host, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      udp.close();
      if (addr.port === 0 && attempt < 20 && (err as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
      throw new DnsError('bind_failed', `cannot listen on TCP ${addr.host}:${udp.port}: ${(err as Error).message}`, { cause: err });
    }
    tcp.on('error', (err) => log.error({ err }, 'dns tcp listener error'));
    let closing: Promise<void> | undefined;
    return {
      address: { host: (tcp.address() as AddressInfo).address, port: udp.port },
      udpIo: udp.io,
      udpStats: () => udp.stats(),
      // Idempotent: a handler may close the listeners from inside a batch, once per message.
      close: () => (closing ??= closeBoth(udp, tcp, conns)),
    };
  }
}

function serveTcp(conn: Socket, handle: Handler, log: Logger): void {
  let pending = Buffer.alloc(0);
  conn.setNoDelay(true);
  conn.setTimeout(TCP_IDLE_MS, () => conn.destroy());
  conn.on('error', () => conn.destroy());
  const send = (res: Buffer | null) => {
    if (res === null || conn.destroyed) return;
    const frame = Buffer.allocUnsafe(res.length + 2);
    frame.writeUInt16BE(res.length, 0);
    res.copy(frame, 2);
    // A client that sends without reading gets no more reading from us until it catches up.
    if (!conn.write(frame) && !conn.isPaused()) {
      conn.pause();
      conn.once('drain', () => conn.resume());
    }
  };
  conn.on('data', (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 2) {
      const len = pending.readUInt16BE(0);
      if (pending.length < 2 + len) break;
      const msg = pending.subarray(2, 2 + len);
      pending = pending.subarray(2 + len);
      let res: ReturnType<Handler>;
      try {
        res = handle(msg, false);
      } catch (err) {
        log.error({ err }, 'dns handler threw; connection closed');
        conn.destroy();
        return;
      }
      if (res instanceof Promise) res.then(send, (err) => log.error({ err }, 'dns forward failed'));
      else send(res);
    }
  });
}

function closeBoth(udp: UdpServing, tcp: Server, conns: Set<Socket>): Promise<void> {
  return new Promise((resolve) => {
    udp.close();
    tcp.close(() => resolve());
    for (const c of conns) c.destroy();
  });
}
