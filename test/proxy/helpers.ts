/** Shared fixtures of the proxy tests: instances, node backends on port 0, and a Host-routed client. */
import { createServer, request, type Agent, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import type { ServiceInstance } from '../../src/catalog/types.js';
import { createProxy, type Proxy } from '../../src/proxy/index.js';

export function inst(service: string, id: string, port: number, extra: Partial<ServiceInstance> = {}): ServiceInstance {
  return { id, service, name: id, host: 'h1', address: '127.0.0.1', port, tags: [], meta: {}, health: 'passing', ...extra };
}

export interface Backend {
  name: string;
  port: number;
  hits: number;
  server: Server;
  /** Closes the listener and cuts every open connection (a crashed process). */
  kill(): Promise<void>;
}

/** A node HTTP backend answering `<name> <method> <url>`; `/echo` streams the request body back. */
export async function startBackend(name: string): Promise<Backend> {
  const b = { name, port: 0, hits: 0 } as Backend;
  b.server = createServer((req, res) => {
    b.hits++;
    if (req.url === '/echo') {
      res.writeHead(200, { 'x-backend': name });
      req.pipe(res);
      return;
    }
    if (req.url === '/headers') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.headers));
      return;
    }
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'x-backend': name, connection: 'keep-alive', 'keep-alive': 'timeout=5' });
      res.end(`${name} ${req.method} ${req.url}`);
    });
  });
  await new Promise<void>((r) => b.server.listen(0, '127.0.0.1', () => r()));
  b.port = (b.server.address() as AddressInfo).port;
  b.kill = () =>
    new Promise<void>((r) => {
      b.server.close(() => r());
      b.server.closeAllConnections();
    });
  return b;
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request through the proxy with the given Host header. */
export function send(
  port: number,
  host: string,
  opts: { path?: string; method?: string; body?: string | Buffer; agent?: Agent; headers?: Record<string, string> } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: opts.path ?? '/', method: opts.method ?? 'GET', agent: opts.agent, headers: { host, ...opts.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((r) => {
    server.close(() => r());
    server.closeAllConnections();
  });
}

/** A port free right now on 127.0.0.1 (proxy ports are fixed numbers by contract). */
export async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** A raw TCP backend on port 0: `onConn` gets every accepted socket; all are cut after the test. */
export async function rawBackend(t: { after(fn: () => unknown): void }, onConn: (s: Socket) => void): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createNetServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    onConn(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return (server.address() as AddressInfo).port;
}

/** Answers each request head (no request bodies) with `answer(head, n)`, n counting per connection; null cuts the connection. */
export function answering(answer: (head: string, n: number) => string | Buffer | null): (s: Socket) => void {
  return (s) => {
    let buf = '';
    let n = 0;
    s.on('data', (d) => {
      buf += d.toString('latin1');
      let i: number;
      while ((i = buf.indexOf('\r\n\r\n')) !== -1) {
        const head = buf.slice(0, i);
        buf = buf.slice(i + 4);
        const out = answer(head, n++);
        if (out === null) return void s.destroy();
        s.write(out);
      }
    });
  };
}

/** Writes `raw` to `port` and collects everything until the other side closes (or `until` matches: then it closes). */
export function rawExchange(port: number, raw: string | string[], until?: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect({ host: '127.0.0.1', port });
    let got = '';
    c.on('data', (d) => {
      got += d.toString('latin1');
      if (until?.test(got)) c.end();
    });
    c.on('close', () => resolve(got));
    c.on('error', reject);
    for (const part of Array.isArray(raw) ? raw : [raw]) c.write(part);
  });
}

/** A proxy on a free loopback port routing `web` to one instance at `port`; stopped after the test. */
export async function proxyFor(t: { after(fn: () => unknown): void }, port: number, extra: Parameters<typeof createProxy>[0] = {}): Promise<Proxy> {
  const proxy = await createProxy({ httpAddr: '127.0.0.1:0', ...extra });
  t.after(() => proxy.stop());
  await proxy.update([inst('web', 'a', port)]);
  return proxy;
}
