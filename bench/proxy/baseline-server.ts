/**
 * The floor of Maestro's stack, as a bench reference: the smallest undici BalancedPool HTTP proxy,
 * the smallest http-proxy (node-http-proxy, the library the design first named for L7) round robin
 * with keep-alive to the backends, and the smallest `net` pipe — none with Maestro's routing,
 * retries, ejection or accounting.
 *   node baseline-server.js <backend ports, comma-separated>
 * Prints `{"http":<port>,"httpProxy":<port>,"l4":<port>}`; exits on stdin close.
 */
import { Agent, createServer } from 'node:http';
import httpProxy from 'http-proxy';
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

// http-proxy as its README shows it, plus what any production use adds: a keep-alive agent (without
// it every request opens a backend connection) and a 502 instead of a crash on a backend error.
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const proxies = ports.map((p) => httpProxy.createProxyServer({ target: `http://127.0.0.1:${p}`, agent }));
let nextProxy = 0;
const viaHttpProxy = createServer((req, res) => {
  proxies[nextProxy++ % proxies.length].web(req, res, {}, () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
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
await new Promise<void>((r) => viaHttpProxy.listen(0, '127.0.0.1', () => r()));
const port = (s: { address(): unknown }) => (s.address() as AddressInfo).port;
process.stdout.write(`${JSON.stringify({ http: port(http), httpProxy: port(viaHttpProxy), l4: port(tcp) })}\n`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
