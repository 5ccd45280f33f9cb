/**
 * The floor of Maestro's stack, as a bench reference: the smallest undici BalancedPool HTTP proxy and
 * the smallest `net` pipe, with none of Maestro's routing, retries, ejection or accounting.
 *   node baseline-server.js <backend ports, comma-separated>
 * Prints `{"http":<port>,"l4":<port>}`; exits on stdin close.
 */
import { createServer } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo } from 'node:net';
import { BalancedPool } from 'undici';

const ports = process.argv[2].split(',').map(Number);
const pool = new BalancedPool(ports.map((p) => `http://127.0.0.1:${p}`));

const http = createServer((req, res) => {
  pool.dispatch(
    { path: req.url ?? '/', method: 'GET', headers: ['host', req.headers.host ?? ''], body: null },
    {
      onConnect() {},
      onHeaders(status: number, raw: Buffer[]) {
        const headers: string[] = [];
        for (let i = 0; i < raw.length; i += 2) headers.push(raw[i].toString(), raw[i + 1].toString());
        res.writeHead(status, headers);
        return true;
      },
      onData: (chunk: Buffer) => res.write(chunk),
      onComplete: () => res.end(),
      onError: () => (res.headersSent ? res.destroy() : res.writeHead(502).end()),
    },
  );
});

let next = 0;
const tcp = createNetServer({ noDelay: true }, (c) => {
  const up = connect({ host: '127.0.0.1', port: ports[next++ % ports.length], noDelay: true });
  c.pipe(up).pipe(c);
  c.on('error', () => up.destroy());
  up.on('error', () => c.destroy());
});

await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
process.stdout.write(`${JSON.stringify({ http: (http.address() as AddressInfo).port, l4: (tcp.address() as AddressInfo).port })}\n`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
