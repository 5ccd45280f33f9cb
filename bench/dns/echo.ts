/**
 * The floor of a Node.js UDP DNS server: answers each query by flipping QR and sending the packet
 * back, with no DNS work at all, replies of one poll batch sent together as Maestro's transport does.
 * dnsperf.js measures it beside Maestro and NSD, so the share of a query's cost that is the runtime's
 * datagram path (not Maestro's code) is visible.
 *   node echo.js   → prints "ready PORT"
 */
import { createSocket } from 'node:dgram';

const sock = createSocket({ type: 'udp4', lookup: (address, _family, cb) => cb(null, address, 4) });
const out: [Buffer, number, string][] = [];
const flush = () => {
  for (const [msg, port, address] of out) sock.send(msg, port, address);
  out.length = 0;
};
sock.on('message', (msg, rinfo) => {
  if (msg.length < 12) return;
  msg[2] = (msg[2]! | 0x80) & 0xff;
  if (out.length === 0) setImmediate(flush);
  out.push([msg, rinfo.port, rinfo.address]);
});
sock.bind(0, '127.0.0.1', () => process.stdout.write(`ready ${sock.address().port}\n`));
process.on('SIGTERM', () => sock.close(() => process.exit(0)));
