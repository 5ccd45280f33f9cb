/**
 * Test support: a TCP forwarder on loopback that can be cut the way a network partition cuts a
 * link — bytes stop flowing both ways, nothing is closed or reset, new connections are accepted and
 * then hang — and healed, after which connections made from then on work again. What a client sees
 * of an etcd member on the far side of a partition, without leaving loopback.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

export class CuttableProxy {
  private cut = false;
  private readonly sockets = new Set<Socket>();
  /** Connections accepted, in total (a client reconnecting after the heal shows here). */
  connections = 0;

  private constructor(private readonly server: Server) {}

  static async start(target: { host: string; port: number }): Promise<CuttableProxy> {
    let self: CuttableProxy | undefined;
    const server = createServer((client) => self!.accept(client, target));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new CuttableProxy(server);
    return self;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Stops every byte, on the open connections and on any made while cut; closes nothing. */
  partition(): void {
    this.cut = true;
    for (const s of this.sockets) s.pause();
  }

  /** Lets bytes flow again: the held connections are dropped (as a long partition's are), new ones work. */
  heal(): void {
    this.cut = false;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, target: { host: string; port: number }): void {
    this.connections++;
    this.sockets.add(client);
    client.on('error', () => undefined).on('close', () => this.sockets.delete(client));
    if (this.cut) {
      client.pause();
      return;
    }
    const upstream = connect(target.port, target.host);
    this.sockets.add(upstream);
    upstream.on('error', () => client.destroy()).on('close', () => this.sockets.delete(upstream));
    client.on('close', () => upstream.destroy());
    // Forward by hand rather than pipe(): a cut must hold bytes in both directions at once.
    client.on('data', (b) => (this.cut ? client.pause() : upstream.write(b)));
    upstream.on('data', (b) => (this.cut ? upstream.pause() : client.write(b)));
  }
}
