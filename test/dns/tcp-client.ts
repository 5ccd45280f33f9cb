/** DNS-over-TCP client pieces the TCP suites share: framing, connecting, reading framed answers. */
import { Socket } from 'node:net';

export function frame(q: Buffer): Buffer {
  return Buffer.concat([Buffer.from([q.length >> 8, q.length & 255]), q]);
}

export async function connect(port: number): Promise<Socket> {
  const c = new Socket();
  await new Promise<void>((resolve, reject) => {
    c.once('error', reject);
    c.connect(port, '127.0.0.1', resolve);
  });
  return c;
}

/** Reads framed messages off `c` until `count` arrived (rejects when it closes first). */
export function readFrames(c: Socket, count: number): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    let buf = Buffer.alloc(0);
    c.on('error', reject);
    c.on('close', () => reject(new Error(`closed after ${out.length} of ${count} answers`)));
    c.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        out.push(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
        if (out.length === count) resolve(out);
      }
    });
    c.resume();
  });
}

export const closed = (c: Socket) => new Promise<void>((r) => (c.destroyed ? r() : c.once('close', () => r())));
