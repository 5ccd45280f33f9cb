/** Test-side DNS wire helpers: a query builder and a strict decoder independent of the server's code. */
import { createSocket } from 'node:dgram';
import { Socket } from 'node:net';

export interface Query {
  id?: number;
  /** EDNS0 UDP payload size; absent → no OPT record. */
  edns?: number;
  /** The OPT record's DO bit (with `edns` only). */
  do?: boolean;
  rd?: boolean;
}

export function buildQuery(name: string, type: number, q: Query = {}): Buffer {
  const parts: number[] = [];
  const id = q.id ?? 0x1234;
  parts.push(id >> 8, id & 0xff, q.rd === false ? 0 : 1, 0, 0, 1, 0, 0, 0, 0, 0, q.edns === undefined ? 0 : 1);
  for (const label of name.split('.').filter(Boolean)) {
    parts.push(label.length, ...Buffer.from(label, 'latin1'));
  }
  parts.push(0, type >> 8, type & 0xff, 0, 1);
  if (q.edns !== undefined) parts.push(0, 0, 41, q.edns >> 8, q.edns & 0xff, 0, 0, q.do ? 0x80 : 0, 0, 0, 0);
  return Buffer.from(parts);
}

export interface RR {
  name: string;
  type: number;
  class: number;
  ttl: number;
  /** A/AAAA: address text; NS/PTR: name; SRV: "prio weight port target"; SOA: "mname rname serial … minimum". */
  data: string;
}

export interface Decoded {
  id: number;
  qr: boolean;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  rcode: number;
  question: { name: string; type: number }[];
  answer: RR[];
  authority: RR[];
  additional: RR[];
}

export function decode(buf: Buffer): Decoded {
  let pos = 12;
  const u16 = (at: number) => {
    if (at + 2 > buf.length) throw new Error('short read');
    return buf.readUInt16BE(at);
  };
  const name = (): string => {
    const labels: string[] = [];
    let at = pos;
    let jumped = false;
    for (let hops = 0; hops < 128; hops++) {
      const l = buf[at];
      if (l === undefined) throw new Error('name runs off the end');
      if (l === 0) {
        if (!jumped) pos = at + 1;
        return labels.join('.');
      }
      if ((l & 0xc0) === 0xc0) {
        if (!jumped) pos = at + 2;
        jumped = true;
        at = u16(at) & 0x3fff;
        continue;
      }
      labels.push(buf.toString('latin1', at + 1, at + 1 + l));
      at += l + 1;
    }
    throw new Error('pointer loop');
  };
  const rr = (): RR => {
    const n = name();
    const type = u16(pos);
    const cls = u16(pos + 2);
    const ttl = buf.readUInt32BE(pos + 4);
    const len = u16(pos + 8);
    pos += 10;
    const end = pos + len;
    if (end > buf.length) throw new Error('rdata runs off the end');
    let data = '';
    if (type === 1) data = [...buf.subarray(pos, end)].join('.');
    else if (type === 28) data = ipv6(buf.subarray(pos, end));
    else if (type === 2 || type === 12) data = name();
    else if (type === 33) {
      const [p, w, port] = [u16(pos), u16(pos + 2), u16(pos + 4)];
      pos += 6;
      data = `${p} ${w} ${port} ${name()}`;
    } else if (type === 6) {
      const m = name();
      const r = name();
      const nums = [0, 4, 8, 12, 16].map((o) => buf.readUInt32BE(pos + o));
      data = [m, r, ...nums].join(' ');
    }
    pos = end;
    return { name: n, type, class: cls, ttl, data };
  };
  const counts = [u16(4), u16(6), u16(8), u16(10)];
  const question: Decoded['question'] = [];
  for (let i = 0; i < counts[0]!; i++) {
    const n = name();
    question.push({ name: n, type: u16(pos) });
    pos += 4;
  }
  const section = (count: number) => Array.from({ length: count }, rr);
  const answer = section(counts[1]!);
  const authority = section(counts[2]!);
  const additional = section(counts[3]!);
  if (pos !== buf.length) throw new Error(`trailing bytes: ${buf.length - pos}`);
  return {
    id: u16(0),
    qr: (buf[2]! & 0x80) !== 0,
    aa: (buf[2]! & 0x04) !== 0,
    tc: (buf[2]! & 0x02) !== 0,
    rd: (buf[2]! & 0x01) !== 0,
    rcode: buf[3]! & 0x0f,
    question,
    answer,
    authority,
    additional,
  };
}

function ipv6(b: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  return groups.join(':');
}

/** One UDP exchange with a timeout. */
export function udpAsk(port: number, msg: Buffer, timeoutMs = 2_000): Promise<Buffer> {
  const sock = createSocket('udp4');
  return new Promise<Buffer>((resolve, reject) => {
    const timer = setTimeout(() => (sock.close(), reject(new Error('udp timeout'))), timeoutMs);
    sock.on('message', (res) => {
      clearTimeout(timer);
      sock.close();
      resolve(res);
    });
    sock.send(msg, port, '127.0.0.1');
  });
}

/** One TCP exchange (2-byte length framing). */
export function tcpAsk(port: number, msg: Buffer, timeoutMs = 2_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = new Socket();
    let buf = Buffer.alloc(0);
    sock.setTimeout(timeoutMs, () => (sock.destroy(), reject(new Error('tcp timeout'))));
    sock.on('error', reject);
    sock.on('data', (c) => {
      buf = Buffer.concat([buf, c]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        sock.destroy();
        resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      }
    });
    sock.connect(port, '127.0.0.1', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(msg.length);
      sock.write(Buffer.concat([len, msg]));
    });
  });
}
