/**
 * Forwarding of out-of-zone queries (only when `--dns-forward` is set: never an open resolver by
 * default). Each upstream is tried in turn over UDP from a fresh socket (a new source port and query ID
 * per query), and over TCP when the UDP answer came back truncated and the client itself asked over TCP
 * (a UDP client gets the truncated answer and retries over TCP itself, as it would with any server).
 */
import { createSocket } from 'node:dgram';
import { isIPv6, Socket } from 'node:net';
import { randomInt } from 'node:crypto';
import type { HostPort } from '../config/index.js';

export interface ForwardOptions {
  upstreams: readonly HostPort[];
  /** Per upstream and per transport. */
  timeoutMs: number;
}

/**
 * The upstream's answer with the client's ID restored, or undefined when every upstream failed.
 * `msg` is read after awaits, so it must be the caller's own copy (never a view of a receive buffer).
 */
export async function forward(msg: Buffer, tcp: boolean, opts: ForwardOptions): Promise<Buffer | undefined> {
  for (const up of opts.upstreams) {
    let res = await viaUdp(msg, up, opts.timeoutMs).catch(() => undefined);
    if (res && tcp && (res[2]! & 0x02) !== 0) res = await viaTcp(msg, up, opts.timeoutMs).catch(() => undefined);
    if (res) {
      res[0] = msg[0]!;
      res[1] = msg[1]!;
      return res;
    }
  }
  return undefined;
}

function viaUdp(msg: Buffer, up: HostPort, timeoutMs: number): Promise<Buffer | undefined> {
  const id = randomInt(0x10000);
  const query = Buffer.from(msg);
  query.writeUInt16BE(id, 0);
  const sock = createSocket(isIPv6(up.host) ? 'udp6' : 'udp4');
  return new Promise<Buffer | undefined>((resolve) => {
    let settled = false;
    const done = (res: Buffer | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.close();
      resolve(res);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    sock.on('error', () => done(undefined));
    sock.on('message', (res, rinfo) => {
      // Only the upstream's reply to this very query counts; anything else is ignored.
      if (rinfo.port !== up.port || res.length < 12 || res.readUInt16BE(0) !== id || (res[2]! & 0x80) === 0) return;
      if (!sameQuestion(query, res)) return;
      done(res);
    });
    sock.send(query, up.port, up.host, (err) => err && done(undefined));
  });
}

function viaTcp(msg: Buffer, up: HostPort, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const sock = new Socket();
    let buf = Buffer.alloc(0);
    const done = (res: Buffer | undefined) => {
      sock.destroy();
      resolve(res);
    };
    sock.setTimeout(timeoutMs, () => done(undefined));
    sock.on('error', () => done(undefined));
    sock.on('close', () => done(undefined));
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) done(buf.subarray(2, 2 + buf.readUInt16BE(0)));
    });
    sock.connect(up.port, up.host, () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(msg.length);
      sock.write(Buffer.concat([len, msg]));
    });
  });
}

/** The question section (from byte 12 to the end of QTYPE/QCLASS) matches, ignoring case. */
function sameQuestion(query: Buffer, res: Buffer): boolean {
  let i = 12;
  while (i < query.length && query[i] !== 0) i += query[i]! + 1;
  const end = i + 5;
  if (res.length < end || end > query.length) return false;
  return query.toString('latin1', 12, end).toLowerCase() === res.toString('latin1', 12, end).toLowerCase();
}
