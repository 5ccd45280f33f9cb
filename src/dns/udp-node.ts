/**
 * The fallback UDP path: Node's `dgram`, one `'message'` event per datagram. Used when the udp-batch
 * addon is not built (or `udpIo: 'node'`); same behaviour as the native path, slower per packet.
 */
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Logger } from 'pino';
import type { HostPort } from '../config/index.js';
import type { Handler, UdpServing } from './udp.js';

/** Binds and serves; rejects with the bind error (the caller wraps it). */
export async function serveUdpNode(addr: HostPort, handle: Handler, log: Logger): Promise<UdpServing> {
  // Replies only ever go to the IP a query came from: a synchronous lookup skips dns.lookup's
  // nextTick per packet (measurably faster under load).
  const udp = createSocket({ type: isIPv6(addr.host) ? 'udp6' : 'udp4', lookup: ipLookup });
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(addr.port, addr.host, () => {
      udp.off('error', reject);
      resolve();
    });
  });
  let sendDropped = 0;
  // No send callback: with one, every packet costs an extra completion round trip through the event
  // loop. libuv queues what the kernel does not take at once, so only a closed socket loses replies.
  const send = (res: Buffer | null, port: number, address: string) => {
    if (res === null) return;
    try {
      udp.send(res, port, address);
    } catch {
      sendDropped++; // the socket was closed (stop()) while replies were pending
    }
  };
  // Replies to the datagrams libuv read in one poll (up to 32) go out together after it, as NSD's
  // sendmmsg does: the client is woken once per batch instead of once per reply, which measured
  // 25–50% more queries per second at lower CPU per query on loopback.
  const outBuf: Buffer[] = [];
  const outPort: number[] = [];
  const outAddr: string[] = [];
  const flush = () => {
    for (let i = 0; i < outBuf.length; i++) send(outBuf[i]!, outPort[i]!, outAddr[i]!);
    outBuf.length = 0;
    outPort.length = 0;
    outAddr.length = 0;
  };
  udp.on('error', (err) => log.error({ err }, 'dns udp socket error'));
  udp.on('message', (msg, rinfo) => {
    if (rinfo.port === 0) return; // nowhere to answer
    let res: ReturnType<Handler>;
    try {
      res = handle(msg, true);
    } catch (err) {
      log.error({ err }, 'dns handler threw; packet dropped');
      return;
    }
    if (res instanceof Promise) {
      res.then((r) => send(r, rinfo.port, rinfo.address), (err) => log.error({ err }, 'dns forward failed'));
    } else if (res !== null) {
      if (outBuf.length === 0) setImmediate(flush);
      outBuf.push(res);
      outPort.push(rinfo.port);
      outAddr.push(rinfo.address);
    }
  });
  let closed = false;
  return {
    io: 'node',
    port: udp.address().port,
    stats: () => ({ sendDropped, oversize: 0, batches: 0, datagrams: 0 }),
    close: () => {
      if (closed) return;
      closed = true;
      udp.close();
    },
  };
}

function ipLookup(address: string, family: unknown, cb: (err: null, address: string, family: number) => void): void {
  cb(null, address, address.includes(':') ? 6 : 4);
}
