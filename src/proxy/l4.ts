/**
 * L4 listeners: one TCP server per proxy port in the route table, reconciled against the desired
 * set after every table swap (a port that failed to bind is retried at the next one). A connection
 * is held paused until an instance accepted (the next one is tried when a connect fails); neither
 * socket has read a byte then, so both file descriptors go to the native relay (l4-native.ts:
 * bytes move in C, half-close kept, idle and stall sweep) or, without the addon, to the JS relay
 * (l4-relay.ts). Counts, in-flight, the access log and stop() work the same on both; a pair the
 * addon refuses (it throws with a code) is closed and logged.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { recordFailure, recordSuccess } from './ejection.js';
import type { ForwardContext } from './forward.js';
import { handOff, loadTcpRelay, type TcpRelay, type Tunnel } from './l4-native.js';
import { relayJs } from './l4-relay.js';
import type { Sweeper } from './sweep.js';
import type { LiveTable, Route } from './table.js';
import type { Upstream } from './upstream.js';

export interface L4Options {
  bind: string;
  table: () => LiveTable;
  ctx: ForwardContext;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  /** Bytes waiting for a side that takes none of them for this long close the pair (0: never). */
  stallTimeoutMs: number;
  /** The proxy's coarse clock: idle timeouts of the JS relay. */
  sweeper: Sweeper;
  /** Per listener, dialling and relayed together; further connections are closed at once. */
  maxConnections: number;
  log: Logger;
}

/** A listening port and its open connections (counted here: relayed sockets leave Node's count). */
interface Listener {
  server: Server;
  active: number;
}

export class L4Listeners {
  readonly #listeners = new Map<number, Listener>();
  readonly #pending = new Set<number>();
  /** Everything stop() must cut: dialling clients and relayed pairs. */
  readonly #live = new Set<Tunnel>();
  readonly #native: TcpRelay | undefined;
  #closed = false;
  #drained: (() => void) | undefined;

  /** The native relay unless it is not built or MAESTRO_NATIVE=0 (how tests force the JS one). */
  constructor(private readonly o: L4Options) {
    this.#native = loadTcpRelay();
  }

  /** Listening ports (the actual ones, in bind order). */
  ports(): number[] {
    return [...this.#listeners.values()].map((l) => (l.server.address() as AddressInfo).port).sort((a, b) => a - b);
  }

  /** Opens listeners for new ports and closes those no longer wanted (open connections finish). */
  reconcile(wanted: ReadonlySet<number>): Promise<void> {
    const work: Promise<void>[] = [];
    for (const [port, l] of this.#listeners) {
      if (wanted.has(port)) continue;
      this.#listeners.delete(port);
      l.server.close();
      this.o.log.info({ port }, 'L4 listener closed');
    }
    for (const port of wanted) if (!this.#listeners.has(port) && !this.#pending.has(port)) work.push(this.#open(port));
    return Promise.all(work).then(() => undefined);
  }

  /** Closes the listeners and cuts every open connection; resolves once all have reported. */
  async close(): Promise<void> {
    this.#closed = true;
    const servers = [...this.#listeners.values()].map((l) => l.server);
    this.#listeners.clear();
    for (const t of this.#live) t.close();
    const drained = this.#live.size ? new Promise<void>((r) => (this.#drained = r)) : undefined;
    await Promise.all([drained, ...servers.map((s) => new Promise<void>((r) => s.close(() => r())))]);
  }

  async #open(port: number): Promise<void> {
    this.#pending.add(port);
    const l: Listener = { server: createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, (c) => this.#accept(port, l, c)), active: 0 };
    const { server } = l;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: this.o.bind, port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (err) => this.o.log.error({ port, err: err.message }, 'L4 listener error'));
      this.#listeners.set(port, l);
      this.o.log.info({ port, bind: this.o.bind, relay: this.#native ? 'native' : 'js' }, 'L4 listener open');
    } catch (err) {
      this.o.log.error({ port, bind: this.o.bind, err: (err as Error).message }, 'L4 listener failed to bind; retried at the next update');
    } finally {
      this.#pending.delete(port);
    }
    // A port that left the spec while we were binding.
    if (this.#listeners.get(port) === l && !this.o.table().byPort.has(port)) {
      this.#listeners.delete(port);
      server.close();
    }
  }

  #accept(port: number, l: Listener, client: Socket): void {
    const route = this.o.table().byPort.get(port);
    client.on('error', () => client.destroy());
    if (route === undefined || this.#closed || l.active >= this.o.maxConnections) return void client.destroy();
    route.stats.connections++;
    l.active++;
    // stop() does not wait for a pending connect: the dial sees the client gone and gives up.
    const dialling: Tunnel = {
      close: () => {
        client.destroy();
        this.#done(dialling);
      },
    };
    this.#live.add(dialling);
    this.#dial(route, client, [], (up) => {
      this.#done(dialling);
      if (up === undefined) return void l.active--;
      this.#splice(l, route, up.u, client, up.socket);
    });
  }

  /** Tries instances until one accepts; `then(undefined)` once the client was closed instead. */
  #dial(route: Route, client: Socket, tried: Upstream[], then: (up?: { u: Upstream; socket: Socket }) => void): void {
    const { ctx } = this.o;
    const u = tried.length < ctx.attempts ? ctx.policy(route.upstreams, route.state, Date.now(), tried.length ? tried : null) : undefined;
    if (u === undefined || client.destroyed) {
      if (!client.destroyed) {
        route.stats.failedConnections++;
        if (ctx.accessLog.wants(route.accessLog, true)) ctx.accessLog.add('L4 connection failed', { service: route.service, client: client.remoteAddress, attempts: tried.length, reason: 'no instance accepted' });
      }
      client.destroy();
      return then();
    }
    if (tried.length) route.stats.retries++;
    tried.push(u);
    const up = connect({ host: u.address, port: u.port, allowHalfOpen: true, noDelay: true });
    // Paused before the connect completes: Node starts reading right after the 'connect' listeners
    // ran, and bytes a server sends first (a greeting) must reach the relay, not a JS buffer.
    up.pause();
    up.setTimeout(this.o.connectTimeoutMs, () => up.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })));
    up.once('error', (err) => {
      u.stats.connectErrors++;
      recordFailure(u, route.upstreams, Date.now(), ctx.ejection);
      ctx.log.debug({ service: route.service, instance: u.id, err: err.message }, 'L4 connect failed');
      this.#dial(route, client, tried, then);
    });
    up.once('connect', () => {
      up.setTimeout(0); // the connect timeout is done; idleness is the relay's job from here
      up.removeAllListeners('error');
      recordSuccess(u, Date.now());
      if (!client.destroyed && !this.#closed) return then({ u, socket: up });
      up.destroy(); // the client gave up while we dialled, or we are stopping
      client.destroy();
      then();
    });
  }

  #splice(l: Listener, route: Route, u: Upstream, client: Socket, up: Socket): void {
    const started = Date.now();
    const remote = client.remoteAddress;
    u.inFlight++;
    u.stats.connections++;
    route.stats.activeConnections++;
    let tunnel: Tunnel | undefined;
    const onClose = (bytesIn: number, bytesOut: number, reason: string) => {
      if (tunnel) this.#done(tunnel);
      l.active--;
      u.inFlight--;
      route.stats.activeConnections--;
      // `errors`: anything but a clean close by either side (an idle or stall timeout, a reset, a refusal).
      if (!this.o.ctx.accessLog.wants(route.accessLog, reason !== 'eof' && reason !== 'closed')) return;
      this.o.ctx.accessLog.add('L4 connection closed', { service: route.service, instance: u.id, client: remote, bytesIn, bytesOut, reason, ms: Date.now() - started });
    };
    const timeouts = { idleMs: this.o.idleTimeoutMs, stallMs: this.o.stallTimeoutMs };
    let native: Tunnel | undefined;
    try {
      native = this.#native && handOff(this.#native, client, up, timeouts, onClose);
    } catch (err) {
      // The addon took nothing (out of descriptors, shutting down, …): this connection is dropped
      // and said so, rather than relayed by a second path that hides the fault.
      const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
      this.o.log.warn({ service: route.service, instance: u.id, code, err: (err as Error).message }, 'L4 native relay refused a connection; closed');
      route.stats.failedConnections++;
      client.destroy();
      up.destroy();
      return onClose(0, 0, code);
    }
    tunnel = native || relayJs(client, up, this.o.sweeper, timeouts, onClose);
    this.#live.add(tunnel);
  }

  #done(t: Tunnel): void {
    this.#live.delete(t);
    if (this.#live.size === 0 && this.#drained) {
      this.#drained();
      this.#drained = undefined;
    }
  }
}
