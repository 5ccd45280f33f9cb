/**
 * UDP and TCP listeners on one address and port. They know nothing of DNS beyond TCP's 2-byte length
 * framing: every message goes to `handle`, which returns the response, null (drop) or a promise of
 * either (forwarded queries). A throwing handler is logged and the packet dropped — the listener
 * itself keeps serving. UDP goes through the udp-batch addon (recvmmsg/sendmmsg) when it is built,
 * else through Node's dgram; TCP always through `net`, each connection served by tcp.ts within its
 * limits (connection cap here, back-pressure and deadlines there).
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import type { Logger } from 'pino';
import type { HostPort } from '../config/index.js';
import { loadNative } from '../native/index.js';
import type { Handler, UdpIo, UdpServing, UdpStats } from './udp.js';
import { serveUdpNative, type UdpBatchAddon } from './udp-native.js';
import { serveUdpNode } from './udp-node.js';
import { DEFAULT_TCP_LIMITS, TcpConnections, type TcpLimits } from './tcp.js';

export type { Handler, UdpIo, UdpStats } from './udp.js';
export { DEFAULT_TCP_LIMITS, type TcpLimits } from './tcp.js';

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
  /** TCP connections open now, and those closed at accept because `maxConnections` were open. */
  tcpStats(): { connections: number; rejected: number };
  close(): Promise<void>;
}

export interface ListenOptions {
  /** `auto` (default): the native UDP path when the addon loads; `node`: always Node's dgram. */
  udpIo?: 'auto' | 'node';
  /** Overrides of DEFAULT_TCP_LIMITS (see tcp.ts). */
  tcp?: Partial<TcpLimits>;
}

/** Binds UDP then TCP on the same port; with port 0, retries until one ephemeral port is free for both. */
export async function listen(addr: HostPort, handle: Handler, log: Logger, opts: ListenOptions = {}): Promise<Listeners> {
  // Throws under MAESTRO_REQUIRE_NATIVE=1 when the addon is missing: CI must test the fast path.
  const addon = opts.udpIo === 'node' ? undefined : loadNative<UdpBatchAddon>('udp-batch');
  const limits: TcpLimits = { ...DEFAULT_TCP_LIMITS, ...opts.tcp };
  let rejected = 0;
  for (let attempt = 0; ; attempt++) {
    let udp: UdpServing;
    try {
      udp = addon ? serveUdpNative(addon, addr, handle, log) : await serveUdpNode(addr, handle, log);
    } catch (err) {
      throw new DnsError('bind_failed', `cannot bind UDP ${addr.host}:${addr.port}: ${(err as Error).message}`, { cause: err });
    }
    const conns = new TcpConnections(handle, log, limits);
    // allowHalfOpen: a client may half-close after its queries and still get every answer.
    // noDelay: set by libuv at accept, not by a setNoDelay call per connection from JavaScript.
    const tcp = createServer({ allowHalfOpen: true, noDelay: true }, (conn) => conns.accept(conn));
    // Past the cap Node accepts and closes at once (NSD's tcp-reject-overflow): the client learns
    // now instead of waiting in the backlog, and no slot is held.
    tcp.maxConnections = limits.maxConnections;
    tcp.on('drop', () => rejected++);
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
      conns.close();
      if (addr.port === 0 && attempt < 20 && (err as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
      throw new DnsError('bind_failed', `cannot listen on TCP ${addr.host}:${udp.port}: ${(err as Error).message}`, { cause: err });
    }
    tcp.on('error', (err) => log.error({ err }, 'dns tcp listener error'));
    let closing: Promise<void> | undefined;
    return {
      address: { host: (tcp.address() as AddressInfo).address, port: udp.port },
      udpIo: udp.io,
      udpStats: () => udp.stats(),
      tcpStats: () => ({ connections: conns.open.size, rejected }),
      // Idempotent: a handler may close the listeners from inside a batch, once per message.
      close: () => (closing ??= closeBoth(udp, tcp, conns)),
    };
  }
}

function closeBoth(udp: UdpServing, tcp: Server, conns: TcpConnections): Promise<void> {
  return new Promise((resolve) => {
    udp.close();
    tcp.close(() => resolve());
    conns.close();
  });
}
