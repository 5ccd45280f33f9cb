/**
 * The churn benchmark's peers, each in its own process so that the process measured holds only what
 * `maestro up` would (catalog, DNS, proxy): an HTTP backend, and a holder of idle keep-alive
 * connections through the L7 proxy.
 *
 *   node peers.js backend            prints its port, answers 200 "ok" (keep-alive)
 *   node peers.js hold PORT HOST N   opens N connections to 127.0.0.1:PORT, sends one request with
 *                                    `Host: HOST` on each, prints "open <n>" once every one got its
 *                                    200, then holds them idle until stdin closes or 120 s pass
 */
import { createServer } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

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
} else {
  console.error('usage: peers.js backend | hold PORT HOST N');
  process.exit(2);
}
