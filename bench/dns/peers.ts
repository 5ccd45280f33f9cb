/**
 * The churn benchmark's peers, each in its own process so that the process measured holds only what
 * `maestro up` would (catalog, DNS, proxy): an HTTP backend, a holder of idle keep-alive
 * connections through the L7 proxy, and the prober that watches both data paths for a change (its
 * sockets, parsers and garbage stayed in the measured process before, and inflated its heap).
 *
 *   node peers.js backend            prints its port, answers 200 "ok" (keep-alive)
 *   node peers.js hold PORT HOST N   opens N connections to 127.0.0.1:PORT, sends one request with
 *                                    `Host: HOST` on each, prints "open <n>" once every one got its
 *                                    200, then holds them idle until stdin closes or 120 s pass
 *   node peers.js probe DNS HTTP NAME  prints "ready"; for each stdin line "<seq> <answers> <status>"
 *                                    polls every millisecond (up to 5 s) until the A query for NAME on
 *                                    UDP port DNS gives that many answers and a request with `Host: NAME`
 *                                    on HTTP gets that status (a new connection each, as before), then
 *                                    prints "<seq> <dns ns> <http ns>": when each was first seen, on
 *                                    process.hrtime (CLOCK_MONOTONIC, one clock for every process of the
 *                                    machine, so the parent subtracts its own reading), -1 if never
 */
import { createServer, request } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { buildQuery, decode, udpAsk } from '../../test/dns/wire-helpers.js';

const HOLD_MS = 120_000;
/** Connections opened at once (the rest wait): the kernel's accept backlog stays well below its limit. */
const BATCH = 100;

const [mode, ...args] = process.argv.slice(2);
if (mode === 'backend') {
  const server = createServer({ keepAliveTimeout: HOLD_MS }, (_req, res) => res.end('ok'));
  server.listen(0, '127.0.0.1', () => console.log((server.address() as AddressInfo).port));
  process.stdin.on('close', () => process.exit(0)).resume();
} else if (mode === 'hold') {
  const [port, host, count] = [Number(args[0]), args[1]!, Number(args[2])];
  const held: Socket[] = [];
  const request = `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
  /** One connection, one request; resolves once the response's head and its 2-byte body arrived. */
  const open = () =>
    new Promise<void>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => s.write(request));
      let got = '';
      const onData = (d: Buffer) => {
        got += d.toString('latin1');
        if (!got.includes('\r\n\r\n')) return;
        if (!got.startsWith('HTTP/1.1 200')) return reject(new Error(`proxy answered ${got.slice(0, 40)}`));
        if (got.endsWith('ok')) {
          s.off('data', onData);
          held.push(s);
          resolve();
        }
      };
      s.on('data', onData);
      s.on('error', reject);
    });
  for (let i = 0; i < count; i += BATCH) await Promise.all(Array.from({ length: Math.min(BATCH, count - i) }, open));
  console.log(`open ${held.length}`);
  const done = () => {
    for (const s of held) s.destroy();
    process.exit(0);
  };
  setTimeout(done, HOLD_MS).unref();
  process.stdin.on('close', done).resume();
} else if (mode === 'probe') {
  const [dnsPort, httpPort, name] = [Number(args[0]), Number(args[1]), args[2]!];
  const query = buildQuery(name, 1);
  const dnsCount = () => udpAsk(dnsPort, query).then((r) => decode(r).answer.length, () => -1);
  const httpStatus = () =>
    new Promise<number>((resolve) => {
      const req = request({ host: '127.0.0.1', port: httpPort, headers: { host: name }, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', () => resolve(0));
      req.end();
    });
  /** Polls `check` every millisecond until it holds: when it first did, or -1n after 5 s. */
  const until = async (check: () => Promise<boolean>): Promise<bigint> => {
    const deadline = process.hrtime.bigint() + 5_000_000_000n;
    while (process.hrtime.bigint() < deadline) {
      if (await check()) return process.hrtime.bigint();
      await new Promise((r) => setTimeout(r, 1));
    }
    return -1n;
  };
  const lines = createInterface({ input: process.stdin });
  lines.on('line', async (line) => {
    const [seq, answers, status] = line.split(' ').map(Number) as [number, number, number];
    const [d, h] = await Promise.all([until(async () => (await dnsCount()) === answers), until(async () => (await httpStatus()) === status)]);
    console.log(`${seq} ${d} ${h}`);
  });
  lines.on('close', () => process.exit(0));
  console.log('ready');
} else {
  console.error('usage: peers.js backend | hold PORT HOST N | probe DNS HTTP NAME');
  process.exit(2);
}
