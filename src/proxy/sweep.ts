/**
 * One coarse clock and one interval for every timeout of the proxy: HTTP/1 connections and
 * JS-relayed L4 tunnels carry a `deadline` (epoch ms, Infinity when none), and a tick expires those
 * past it. Arming a timeout on the data path is then a field write, not a timer insert and removal
 * per request or chunk.
 */

export interface Expiring {
  deadline: number;
  expire(now: number): void;
}

export class Sweeper {
  /** Epoch ms as of the last tick: the data path's clock, at most one tick stale. */
  now = Date.now();
  readonly #items = new Set<Expiring>();
  readonly #timer: NodeJS.Timeout;

  /** `shortestMs`: the shortest timeout in use; ticks run at a quarter of it (25 ms – 1 s). */
  constructor(shortestMs: number) {
    const tick = Math.min(1_000, Math.max(25, Math.floor(shortestMs / 4)));
    this.#timer = setInterval(() => this.#tick(), tick);
    this.#timer.unref();
  }

  add(item: Expiring): void {
    this.#items.add(item);
  }

  delete(item: Expiring): void {
    this.#items.delete(item);
  }

  #tick(): void {
    const now = (this.now = Date.now());
    for (const item of this.#items) if (item.deadline <= now) item.expire(now);
  }

  close(): void {
    clearInterval(this.#timer);
    this.#items.clear();
  }
}
