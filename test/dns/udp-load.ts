/** Test-side UDP load: many queries from several client sockets, each keeping a window in flight. */
import { createSocket, type Socket } from 'node:dgram';

export interface LoadOptions {
  host?: string;
  /** Client sockets (distinct source ports); queries are dealt round-robin. */
  sockets?: number;
  /** Queries in flight per socket. */
  window?: number;
  /** Unanswered queries are resent after this long (UDP: a full receive buffer drops datagrams). */
  resendMs?: number;
  timeoutMs?: number;
}

export interface LoadResult {
  /** Response per query index (queries must carry distinct IDs). */
  responses: Buffer[];
  resent: number;
  /** Which client socket (index) each response arrived on, and which one sent the query. */
  receivedOn: number[];
  sentFrom: number[];
}

export async function askMany(port: number, queries: readonly Buffer[], opts: LoadOptions = {}): Promise<LoadResult> {
  const host = opts.host ?? '127.0.0.1';
  const n = opts.sockets ?? 8;
  const window = opts.window ?? 32;
  const byId = new Map<number, number>();
  queries.forEach((q, i) => byId.set(q.readUInt16BE(0), i));
  if (byId.size !== queries.length) throw new Error('askMany: query IDs must be distinct');
  const responses: Buffer[] = [];
  const receivedOn: number[] = [];
  const sentFrom = queries.map((_, i) => i % n);
  const sentAt = new Map<number, number>();
  let done = 0;
  let resent = 0;
  const socks: Socket[] = [];
  const queues = Array.from({ length: n }, (_, s) => queries.map((_, i) => i).filter((i) => i % n === s));
  const inFlight = new Array<number>(n).fill(0);
  return new Promise<LoadResult>((resolve, reject) => {
    const finish = (err?: Error) => {
      clearInterval(resender);
      clearTimeout(deadline);
      for (const s of socks) s.close();
      if (err) reject(err);
      else resolve({ responses, resent, receivedOn, sentFrom });
    };
    const pump = (s: number) => {
      while (inFlight[s]! < window && queues[s]!.length > 0) {
        const i = queues[s]!.shift()!;
        inFlight[s]!++;
        sentAt.set(i, Date.now());
        socks[s]!.send(queries[i]!, port, host);
      }
    };
    const resender = setInterval(() => {
      const now = Date.now();
      for (const [i, at] of sentAt) {
        if (now - at < (opts.resendMs ?? 500)) continue;
        resent++;
        sentAt.set(i, now);
        socks[sentFrom[i]!]!.send(queries[i]!, port, host);
      }
    }, 100);
    const deadline = setTimeout(() => finish(new Error(`askMany: ${queries.length - done} of ${queries.length} unanswered`)), opts.timeoutMs ?? 20_000);
    let bound = 0;
    for (let s = 0; s < n; s++) {
      const sock = createSocket(host.includes(':') ? 'udp6' : 'udp4');
      socks.push(sock);
      sock.on('error', (err) => finish(err));
      sock.on('message', (res) => {
        const i = res.length >= 2 ? byId.get(res.readUInt16BE(0)) : undefined;
        if (i === undefined || responses[i] !== undefined) return; // a late duplicate of a resent query
        responses[i] = res;
        receivedOn[i] = s;
        sentAt.delete(i);
        inFlight[sentFrom[i]!]!--;
        if (++done === queries.length) finish();
        else pump(sentFrom[i]!);
      });
      sock.bind(0, host, () => {
        if (++bound === n) for (let k = 0; k < n; k++) pump(k);
      });
    }
  });
}
