/**
 * The HTTP/1.1 listener on a plain `net` server: each accepted socket becomes a ClientConn. Node's
 * http server is not used: its per-request objects and stream plumbing cost more than this whole
 * data path (see the README's benchmark section).
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import { ClientConn, type ClientOptions } from './client.js';

export interface ServerOptions extends ClientOptions {
  /**
   * Most client connections at once; further ones are closed as they are accepted (Node's
   * `server.maxConnections`). HAProxy's `maxconn` instead stops accepting and leaves them in the
   * kernel's backlog; either way one listener cannot be made to hold unbounded sockets.
   */
  maxConnections: number;
}

export class Http1Server {
  readonly #server: Server;
  readonly #conns = new Set<ClientConn>();

  constructor(o: ServerOptions) {
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
    this.#server.maxConnections = o.maxConnections;
  }

  /** Client connections open now. */
  get connections(): number {
    return this.#conns.size;
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
