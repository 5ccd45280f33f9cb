/**
 * Test support: a TCP relay on loopback in front of a real server, to cut one client off (every
 * connection destroyed, new ones refused) and heal it again, while the server and its other
 * clients carry on — a partition between one process and its store.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export class Cutter {
  private readonly sockets = new Set<Socket>();
  private cut = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<Cutter> {
    let self: Cutter | undefined;
    const server = createServer((client) => {
      if (!self || self.cut) return void client.destroy();
      const upstream = connect(targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        self.sockets.add(s);
        s.on('close', () => self!.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new Cutter(server, (server.address() as { port: number }).port);
    return self;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  partition(): void {
    this.cut = true;
    for (const s of this.sockets) s.destroy();
  }

  heal(): void {
    this.cut = false;
  }

  async close(): Promise<void> {
    this.partition();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
