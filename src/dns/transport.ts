/**
 * UDP and TCP listeners on one address and port. They know nothing of DNS beyond TCP's 2-byte length
 * framing: every message goes to `handle`, which returns the response, null (drop) or a promise of
 * either (forwarded queries). A throwing handler is logged and the packet dropped — the listener
 * itself keeps serving. UDP goes through the udp-batch addon (recvmmsg/sendmmsg) when it is built,
 * else through Node's dgram; TCP through the dns-tcp addon when it is built, else through `net` with
 * tcp.ts serving each connection, both within the same limits (tcp-listen.ts picks).
 */
import type { Logger } from 'pino';
import type { HostPort } from '../config/index.js';
import { loadNative } from '../native/index.js';
import type { Handler, UdpIo, UdpServing, UdpStats } from './udp.js';
import { serveUdpNative, type UdpBatchAddon } from './udp-native.js';
import { serveUdpNode } from './udp-node.js';
import { DEFAULT_TCP_LIMITS, type TcpLimits } from './tcp.js';
import { listenTcp, type TcpServing } from './tcp-listen.js';

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
  /** Which TCP path serves: the dns-tcp addon or Node's net (tcp-listen.ts). */
  readonly tcpIo: 'native' | 'node';
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
  for (let attempt = 0; ; attempt++) {
    let udp: UdpServing;
    try {
      udp = addon ? serveUdpNative(addon, addr, handle, log) : await serveUdpNode(addr, handle, log);
    } catch (err) {
      throw new DnsError('bind_failed', `cannot bind UDP ${addr.host}:${addr.port}: ${(err as Error).message}`, { cause: err });
    }
    let tcp: TcpServing;
    try {
      tcp = await listenTcp(addr.host, udp.port, handle, log, limits);
    } catch (err) {
      udp.close();
      if (addr.port === 0 && attempt < 20 && (err as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
      throw new DnsError('bind_failed', `cannot listen on TCP ${addr.host}:${udp.port}: ${(err as Error).message}`, { cause: err });
    }
    let closing: Promise<void> | undefined;
    return {
      address: { host: tcp.host, port: udp.port },
      udpIo: udp.io,
      tcpIo: tcp.io,
      udpStats: () => udp.stats(),
      tcpStats: () => tcp.stats(),
      // Idempotent: a handler may close the listeners from inside a batch, once per message.
      close: () => (closing ??= closeBoth(udp, tcp)),
    };
  }
}

function closeBoth(udp: UdpServing, tcp: TcpServing): Promise<void> {
  udp.close();
  return tcp.close();
}
