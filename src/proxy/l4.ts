/**
 * L4 listeners: one TCP server per proxy port in the route table, reconciled against the desired
 * set after every table swap (a port that failed to bind is retried at the next one). A connection
 * is held paused until an instance accepted (the next one is tried when a connect fails), then the
 * two sockets are relayed with half-close kept (allowHalfOpen: a FIN travels through, the other
 * direction keeps flowing). An error on either side tears both down; so does the idle timeout.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { recordFailure, recordSuccess } from './ejection.js';
import type { ForwardContext } from './forward.js';
import type { LiveTable, Route } from './table.js';
import type { Upstream } from './upstream.js';

export interface L4Options {
  bind: string;
  table: () => LiveTable;
  ctx: ForwardContext;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  /** Per listener; further connections are refused by the kernel backlog / closed at once. */
  maxConnections: number;
  log: Logger;
}

/** A relayed connection pair, for the idle sweep. */
interface Tunnel {
  /** Coarse time of the last byte either way (see IdleSweep). */
  last: number;
  kill(): void;
}

/**
 * Idle timeouts for every tunnel from one coarse clock and one sweep, instead of a timer per socket
 * re-armed on every chunk (`socket.setTimeout`), which showed on small request/response exchanges.
 * `now` advances once per step, so a tunnel idles out between `idleMs` and `idleMs + 2·step` after
 * its last byte, never before.
 */
class IdleSweep {
  now = Date.now();
  readonly #tunnels = new Set<Tunnel>();
  readonly #step: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly idleMs: number) {
    this.#step = Math.max(10, Math.min(1_000, Math.floor(idleMs / 4)));
  }

  add(t: Tunnel): void {
    if (this.#timer === undefined) {
      this.now = Date.now(); // the clock stood still while no tunnel was open
      this.#timer = setInterval(() => this.#sweep(), this.#step);
      this.#timer.unref();
    }
    t.last = this.now;
    this.#tunnels.add(t);
  }

  delete(t: Tunnel): void {
    this.#tunnels.delete(t);
    if (this.#tunnels.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #sweep(): void {
    this.now = Date.now();
    for (const t of this.#tunnels) if (this.now - t.last > this.idleMs + this.#step) t.kill();
  }
}

export class L4Listeners {
  readonly #servers = new Map<number, Server>();
  readonly #pending = new Set<number>();
  readonly #idle: IdleSweep;

  constructor(private readonly o: L4Options) {
    this.#idle = new IdleSweep(o.idleTimeoutMs);
  }

  /** Listening ports (the actual ones, in bind order). */
  ports(): number[] {
    return [...this.#servers.values()].map((s) => (s.address() as AddressInfo).port).sort((a, b) => a - b);
  }

  /** Opens listeners for new ports and closes those no longer wanted (open connections finish). */
  reconcile(wanted: ReadonlySet<number>): Promise<void> {
    const work: Promise<void>[] = [];
    for (const [port, server] of this.#servers) {
      if (wanted.has(port)) continue;
      this.#servers.delete(port);
      server.close();
      this.o.log.info({ port }, 'L4 listener closed');
    }
    for (const port of wanted) if (!this.#servers.has(port) && !this.#pending.has(port)) work.push(this.#open(port));
    return Promise.all(work).then(() => undefined);
  }

  async close(): Promise<void> {
    const servers = [...this.#servers.values()];
    this.#servers.clear();
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }

  async #open(port: number): Promise<void> {
    this.#pending.add(port);
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, (c) => this.#accept(port, c));
    server.maxConnections = this.o.maxConnections;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: this.o.bind, port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (err) => this.o.log.error({ port, err: err.message }, 'L4 listener error'));
      this.#servers.set(port, server);
      this.o.log.info({ port, bind: this.o.bind }, 'L4 listener open');
    } catch (err) {
      this.o.log.error({ port, bind: this.o.bind, err: (err as Error).message }, 'L4 listener failed to bind; retried at the next update');
    } finally {
      this.#pending.delete(port);
    }
    // A port that left the spec while we were binding.
    if (this.#servers.get(port) === server && !this.o.table().byPort.has(port)) {
      this.#servers.delete(port);
      server.close();
    }
  }

  #accept(port: number, client: Socket): void {
    const route = this.o.table().byPort.get(port);
    client.on('error', () => client.destroy());
    if (route === undefined) return void client.destroy();
    route.stats.connections++;
    this.#dial(route, client, []);
  }

  #dial(route: Route, client: Socket, tried: Upstream[]): void {
    const { ctx } = this.o;
    const u = tried.length < ctx.attempts ? ctx.policy(route.upstreams, route.state, Date.now(), tried.length ? tried : null) : undefined;
    if (u === undefined || client.destroyed) {
      route.stats.failedConnections++;
      return void client.destroy();
    }
    if (tried.length) route.stats.retries++;
    tried.push(u);
    const up = connect({ host: u.address, port: u.port, allowHalfOpen: true, noDelay: true });
    up.setTimeout(this.o.connectTimeoutMs, () => up.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })));
    up.once('error', (err) => {
      u.stats.connectErrors++;
      recordFailure(u, route.upstreams, Date.now(), ctx.ejection);
      ctx.log.debug({ service: route.service, instance: u.id, err: err.message }, 'L4 connect failed');
      this.#dial(route, client, tried);
    });
    up.once('connect', () => {
      up.setTimeout(0); // the connect timeout is done; idleness is the sweep's job from here
      up.removeAllListeners('error');
      recordSuccess(u, Date.now());
      if (client.destroyed) return void up.destroy(); // the client gave up while we dialled
      this.#splice(route, u, client, up);
    });
  }

  #splice(route: Route, u: Upstream, client: Socket, up: Socket): void {
    const started = Date.now();
    u.inFlight++;
    u.stats.connections++;
    route.stats.activeConnections++;
    const kill = () => {
      client.destroy();
      up.destroy();
    };
    const tunnel: Tunnel = { last: 0, kill };
    this.#idle.add(tunnel);
    up.on('error', kill);
    client.on('error', kill);
    relay(client, up, tunnel, this.#idle);
    relay(up, client, tunnel, this.#idle);
    client.resume();
    let closed = 0;
    const onClose = () => {
      if (++closed < 2) return;
      this.#idle.delete(tunnel);
      u.inFlight--;
      route.stats.activeConnections--;
      if (!this.o.ctx.accessLog) return;
      const line = { service: route.service, instance: u.id, client: client.remoteAddress, bytesIn: client.bytesRead, bytesOut: client.bytesWritten };
      this.o.ctx.log.info({ ...line, ms: Date.now() - started }, 'L4 connection closed');
    };
    up.once('close', onClose);
    client.once('close', onClose);
    track(this.o.ctx.tunnels, client, up);
  }
}

/**
 * `from` → `to` with back-pressure and half-close: leaner than `stream.pipe` (no per-chunk stream
 * bookkeeping), which shows on small request/response exchanges.
 */
function relay(from: Socket, to: Socket, tunnel: Tunnel, clock: IdleSweep): void {
  const resume = () => from.resume();
  from.on('data', (chunk: Buffer) => {
    tunnel.last = clock.now;
    if (!to.write(chunk)) {
      from.pause();
      to.once('drain', resume);
    }
  });
  from.once('end', () => to.end());
}

/** Registers both ends of a tunnel until each closes. */
export function track(tunnels: Set<Duplex>, a: Duplex, b: Duplex): void {
  tunnels.add(a);
  tunnels.add(b);
  a.once('close', () => tunnels.delete(a));
  b.once('close', () => tunnels.delete(b));
}
