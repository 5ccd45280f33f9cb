/**
 * Independent judges of the server's answers: npm `dns2`'s decoder (no code shared with the server),
 * and an audit of every compression pointer. The server's own decoder cannot catch its own encoder's
 * mistakes; these can.
 */
import { Packet, type Resource } from 'dns2';

const TYPES: Record<number, string> = { 1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 28: 'AAAA', 33: 'SRV', 41: 'OPT', 255: 'ANY' };
export const typeName = (t: number): string => TYPES[t] ?? `TYPE${t}`;

export interface View {
  id: number;
  qr: boolean;
  aa: boolean;
  tc: boolean;
  rcode: number;
  /** "name TYPE", the name exactly as written. */
  question: string[];
  /** "owner TYPE rdata", names as written (no trailing dot). */
  answer: string[];
  authority: string[];
  additional: string[];
  opt?: { udp: number; version: number; do: boolean };
}

/** Decodes `buf` with dns2; throws when dns2 dropped a record it could not parse (it does so silently). */
export function viewOf(buf: Buffer): View {
  const p = Packet.parse(buf);
  const h = p.header;
  const sections: [unknown[], number, string][] = [
    [p.questions, h.qdcount, 'question'],
    [p.answers, h.ancount, 'answer'],
    [p.authorities, h.nscount, 'authority'],
    [p.additionals, h.arcount, 'additional'],
  ];
  for (const [list, count, what] of sections) {
    if (list.length !== count) throw new Error(`dns2 decoded ${list.length} of ${count} ${what} records`);
  }
  const rr = (r: Resource) => `${r.name} ${typeName(r.type)} ${rdata(r)}`.trimEnd();
  const optRr = p.additionals.find((r) => r.type === 41) as (Resource & { version: number; doFlag: boolean }) | undefined;
  return {
    id: h.id,
    qr: h.qr === 1,
    aa: h.aa === 1,
    tc: h.tc === 1,
    rcode: h.rcode,
    question: p.questions.map((q) => `${q.name} ${typeName(q.type)}`),
    answer: p.answers.map(rr),
    authority: p.authorities.map(rr),
    additional: p.additionals.filter((r) => r.type !== 41).map(rr),
    opt: optRr && { udp: optRr.class, version: optRr.version, do: optRr.doFlag },
  };
}

function rdata(r: Resource): string {
  switch (r.type) {
    case 1:
    case 28:
      return r.address!;
    case 2:
      return r.ns!;
    case 5:
    case 12:
      return r.domain!;
    case 33:
      return `${r.priority} ${r.weight} ${r.port} ${r.target}`;
    case 6:
      return `${r.primary} ${r.admin} ${r.serial} ${r.refresh} ${r.retry} ${r.expiration} ${r.minimum}`;
    default:
      return '';
  }
}

/**
 * Walks the whole message and throws unless every compression pointer points backwards, past the
 * header, at the start of a label written earlier in the message, and no SRV target is compressed
 * (RFC 2782). Also checks that each record's RDATA ends where RDLENGTH says and nothing trails.
 */
export function auditPointers(buf: Buffer): void {
  const starts = new Set<number>();
  let pos = 12;
  const fail = (why: string): never => {
    throw new Error(`${why} (at byte ${pos} of ${buf.length})`);
  };
  /** Reads a name at `pos`; returns whether it used a pointer. */
  const name = (): boolean => {
    for (let hops = 0; hops < 128; hops++) {
      if (pos >= buf.length) fail('name runs off the end');
      const l = buf[pos]!;
      if (l === 0) {
        pos++;
        return false;
      }
      if ((l & 0xc0) === 0xc0) {
        if (pos + 2 > buf.length) fail('pointer runs off the end');
        const to = buf.readUInt16BE(pos) & 0x3fff;
        if (to < 12 || to >= pos || !starts.has(to)) fail(`pointer to ${to} is not an earlier label start`);
        pos += 2;
        return true;
      }
      if (l > 63) fail(`bad label length ${l}`);
      starts.add(pos);
      pos += l + 1;
    }
    return fail('name too long');
  };
  const counts = [4, 6, 8, 10].map((o) => buf.readUInt16BE(o));
  for (let i = 0; i < counts[0]!; i++) {
    name();
    pos += 4;
  }
  const records = counts[1]! + counts[2]! + counts[3]!;
  for (let i = 0; i < records; i++) {
    name();
    if (pos + 10 > buf.length) fail('record header runs off the end');
    const type = buf.readUInt16BE(pos);
    const end = pos + 10 + buf.readUInt16BE(pos + 8);
    pos += 10;
    if (type === 2 || type === 5 || type === 12) name();
    else if (type === 6) {
      name();
      name();
      pos += 20;
    } else if (type === 33) {
      pos += 6;
      if (name()) fail('SRV target compressed');
    } else pos = end;
    if (pos !== end) fail(`RDATA of a type ${type} record ends at ${pos}, RDLENGTH says ${end}`);
  }
  if (pos !== buf.length) fail('trailing bytes');
}
