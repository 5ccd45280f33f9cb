/**
 * The JavaScript L4 relay, for when the native one (l4-native.ts) is not built: two Node sockets
 * relayed with back-pressure and half-close, idle timeouts from one coarse sweep.
 */
import type { Socket } from 'node:net';
import type { OnTunnelClose, Tunnel } from './l4-native.js';

interface Swept {
  /** Coarse time of the last byte either way (see IdleSweep). */
  last: number;
  kill(reason: string): void;
}

/**
 * Idle timeouts for every tunnel from one coarse clock and one sweep, instead of a timer per socket
 * re-armed on every chunk (`socket.setTimeout`), which showed on small request/response exchanges.
 * `now` advances once per step, so a tunnel idles out between `idleMs` and `idleMs + 2·step` after
 * its last byte, never before.
 */
export class IdleSweep {
  now = Date.now();
  readonly #tunnels = new Set<Swept>();
  readonly #step: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly idleMs: number) {
    this.#step = Math.max(10, Math.min(1_000, Math.floor(idleMs / 4)));
  }

  add(t: Swept): void {
    if (this.#timer === undefined) {
      this.now = Date.now(); // the clock stood still while no tunnel was open
      this.#timer = setInterval(() => this.#sweep(), this.#step);
      this.#timer.unref();
    }
    t.last = this.now;
    this.#tunnels.add(t);
  }

  delete(t: Swept): void {
    this.#tunnels.delete(t);
    if (this.#tunnels.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #sweep(): void {
    this.now = Date.now();
    for (const t of this.#tunnels) if (this.now - t.last > this.idleMs + this.#step) t.kill('idle');
  }
}

/**
 * Relays `client` ↔ `up` (both paused, allowHalfOpen) until both closed; then `onClose` once with
 * the byte counts and the first reason seen (an error code, `idle`, `closed`, else `eof`).
 */
export function relayJs(client: Socket, up: Socket, sweep: IdleSweep, onClose: OnTunnelClose): Tunnel {
  let reason = '';
  const kill = (why: string) => {
    reason ||= why;
    client.destroy();
    up.destroy();
  };
  const swept: Swept = { last: 0, kill };
  sweep.add(swept);
  const onError = (err: NodeJS.ErrnoException) => kill(err.code ?? 'EIO');
  up.on('error', onError);
  client.on('error', onError);
  pipe(client, up, swept, sweep);
  pipe(up, client, swept, sweep);
  client.resume();
  up.resume();
  let closed = 0;
  const closeOne = () => {
    if (++closed < 2) return;
    sweep.delete(swept);
    onClose(client.bytesRead, client.bytesWritten, reason || 'eof');
  };
  up.once('close', closeOne);
  client.once('close', closeOne);
  return { close: () => kill('closed') };
}

/**
 * `from` → `to` with back-pressure and half-close: leaner than `stream.pipe` (no per-chunk stream
 * bookkeeping), which shows on small request/response exchanges.
 */
function pipe(from: Socket, to: Socket, swept: Swept, clock: IdleSweep): void {
  const resume = () => from.resume();
  from.on('data', (chunk: Buffer) => {
    swept.last = clock.now;
    if (!to.write(chunk)) {
      from.pause();
      to.once('drain', resume);
    }
  });
  from.once('end', () => to.end());
}
