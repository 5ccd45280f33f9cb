/**
 * The floor of a Node.js DNS-over-TCP server under connection churn: `net` with the options Maestro's
 * listener uses (allowHalfOpen, noDelay), no limits, no deadlines, and the least DNS work an answer
 * the load generator accepts takes (the question copied back, one A record pointing at it). The
 * cost per connection left is Node's: accept, the net.Socket and its streams, read, write, close.
 * tcp-churn.js runs it beside Maestro and NSD, so what Maestro adds to that floor is visible.
 *   node tcp-churn-floor.js   → prints "ready PORT"
 */
import { createServer } from 'node:net';

const RECORD = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 127, 0, 0, 1]);

function answer(q: Buffer): Buffer | null {
  let end = 12;
  while (end < q.length && q[end] !== 0) end += q[end]! + 1;
  end += 5;
  if (q.length < end) return null;
  const out = Buffer.allocUnsafe(2 + end + RECORD.length);
  out.writeUInt16BE(end + RECORD.length, 0);
  q.copy(out, 2, 0, end);
  out[4] = 0x84; // QR, AA
  out[5] = 0;
  out.writeUInt32BE(0x00010001, 6); // QDCOUNT 1, ANCOUNT 1
  out.writeUInt32BE(0, 10); // NSCOUNT, ARCOUNT
  RECORD.copy(out, 2 + end);
  return out;
}

const server = createServer({ allowHalfOpen: true, noDelay: true }, (conn) => {
  let pending: Buffer = Buffer.alloc(0);
  conn.on('error', () => conn.destroy());
  conn.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
      const res = answer(pending.subarray(2, 2 + pending.readUInt16BE(0)));
      pending = pending.subarray(2 + pending.readUInt16BE(0));
      if (res) conn.write(res);
    }
  });
  // As Maestro's tcp.ts: answers all in the kernel → close() (FIN after them), else end() to flush.
  conn.on('end', () => (conn.writableLength === 0 ? conn.destroy() : conn.end()));
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`ready ${(server.address() as { port: number }).port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
