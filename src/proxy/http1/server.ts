/**
 * The HTTP/1.1 listener on a plain `net` server: each accepted socket becomes a ClientConn. Node's
 * http server is not used: its per-request objects and stream plumbing cost more than this whole
 * data path (see the README's benchmark section).
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import { ClientConn, type ClientOptions } from './client.js';

export class Http1Server {
  readonly #server: Server;
  readonly #conns = new Set<ClientConn>();

  constructor(o: ClientOptions) {
    const sweeper = o.ctx.sweeper;
    const forget = (c: ClientConn) => {
      this.#conns.delete(c);
      sweeper.delete(c);
    };
    // allowHalfOpen: a client that shuts its sending side after the request still gets the answer.
    this.#server = createServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
      const c = new ClientConn(o, socket, forget);
      this.#conns.add(c);
      sweeper.add(c);
    });
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    const server = this.#server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        resolve(server.address() as AddressInfo);
      });
    });
  }

  /** Stops accepting and cuts every client connection (tunnels are cut by their owner). */
  close(): Promise<void> {
    const done = new Promise<void>((r) => this.#server.close(() => r()));
    for (const c of this.#conns) c.socket.destroy();
    return done;
  }
}
