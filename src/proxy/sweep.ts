/**
 * One coarse clock and one interval for every timeout of the proxy: HTTP/1 connections and
 * JS-relayed L4 tunnels carry a `deadline` (epoch ms, Infinity when none), and a tick expires those
 * past it. Arming a timeout on the data path is then a field write, not a timer insert and removal
 * per request or chunk.
 *
 * A timeout never fires early: deadlines are armed from `now`, which may be up to one tick old, so
 * an item expires only once its deadline is a whole tick behind the clock. It fires between its
 * time and two ticks later.
 */

export interface Expiring {
  deadline: number;
  expire(now: number): void;
}

export class Sweeper {
  /** Epoch ms as of the last tick: the data path's clock, at most one tick stale. */
  now = Date.now();
  /** Interval between ticks: the most `now` can lag behind the real clock. */
  readonly tickMs: number;
  readonly #items = new Set<Expiring>();
  readonly #timer: NodeJS.Timeout;

  /** `shortestMs`: the shortest timeout in use; ticks run at a quarter of it (25 ms – 1 s). */
  constructor(shortestMs: number) {
    this.tickMs = Math.min(1_000, Math.max(25, Math.floor(shortestMs / 4)));
    this.#timer = setInterval(() => this.#tick(), this.tickMs);
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
    // Armed from a clock up to one tick old: only a deadline a tick behind is surely past.
    const past = now - this.tickMs;
    for (const item of this.#items) if (item.deadline <= past) item.expire(now);
  }

  close(): void {
    clearInterval(this.#timer);
    this.#items.clear();
  }
}
