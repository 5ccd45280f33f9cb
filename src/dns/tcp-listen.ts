/**
 * Picks the DNS-over-TCP listener: the dns-tcp addon (tcp-native.ts) when it loads, else Node's `net`
 * with tcp.ts serving each connection. Both enforce the same limits and deadlines (tcp.ts's header);
 * `limits.io: 'node'` or MAESTRO_NATIVE=0 forces `net` (the tests run the TCP suites on both).
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import type { Logger } from 'pino';
import { loadNative } from '../native/index.js';
import { TcpConnections, type TcpLimits } from './tcp.js';
import { serveTcpNative, type DnsTcpAddon, type TcpServing } from './tcp-native.js';
import type { Handler } from './udp.js';

export type { TcpServing } from './tcp-native.js';

/** Listens on host:port (the UDP socket's port); rejects with the bind error (its `code`: EADDRINUSE, …). */
export async function listenTcp(host: string, port: number, handle: Handler, log: Logger, limits: TcpLimits): Promise<TcpServing> {
  // Throws under MAESTRO_REQUIRE_NATIVE=1 when the addon is missing: CI must test the fast path.
  const addon = limits.io === 'node' ? undefined : loadNative<DnsTcpAddon>('dns-tcp');
  if (addon) return serveTcpNative(addon, host, port, handle, log, limits);
  return listenNet(host, port, handle, log, limits);
}

async function listenNet(host: string, port: number, handle: Handler, log: Logger, limits: TcpLimits): Promise<TcpServing> {
  const conns = new TcpConnections(handle, log, limits);
  let rejected = 0;
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
      tcp.listen(port, host, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    conns.close();
    throw err;
  }
  tcp.on('error', (err) => log.error({ err }, 'dns tcp listener error'));
  return {
    io: 'node',
    host: (tcp.address() as AddressInfo).address,
    port: (tcp.address() as AddressInfo).port,
    stats: () => ({ connections: conns.open.size, rejected }),
    close: () => closeNet(tcp, conns),
  };
}

function closeNet(tcp: Server, conns: TcpConnections): Promise<void> {
  return new Promise((resolve) => {
    tcp.close(() => resolve());
    conns.close();
  });
}
