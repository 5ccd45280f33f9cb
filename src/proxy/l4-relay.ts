/**
 * The JavaScript L4 relay, for when the native one (l4-native.ts) is not built: two Node sockets
 * relayed with back-pressure and half-close; idle and stall deadlines on the proxy's coarse sweep.
 */
import type { Socket } from 'node:net';
import type { OnTunnelClose, Tunnel } from './l4-native.js';
import type { Expiring, Sweeper } from './sweep.js';

export interface RelayTimeouts {
  /** No byte either way for this long closes the pair (`idle`). */
  idleMs: number;
  /** Bytes waiting for a destination that takes none of them for this long close the pair (`stalled`). */
  stallMs: number;
}

/**
 * Relays `client` ↔ `up` (both paused, allowHalfOpen) until both closed; then `onClose` once with
 * the byte counts and the first reason seen (an error code, `idle`, `stalled`, `closed`, else `eof`).
 *
 * While a destination pushes back, Node stops reading its source, so a source that leaves (FIN or
 * reset) is not seen: the stall deadline is what frees such a pair (the native relay also sees a
 * reset at once).
 */
export function relayJs(client: Socket, up: Socket, sweeper: Sweeper, timeouts: RelayTimeouts, onClose: OnTunnelClose): Tunnel {
  let reason = '';
  const kill = (why: string) => {
    reason ||= why;
    client.destroy();
    up.destroy();
  };
  const { idleMs, stallMs } = timeouts;
  const idle: Expiring = { deadline: sweeper.now + idleMs, expire: () => kill('idle') };
  sweeper.add(idle);
  const touch = () => void (idle.deadline = sweeper.now + idleMs);
  const stalls = [stallWatch(up, sweeper, stallMs, kill), stallWatch(client, sweeper, stallMs, kill)];
  const onError = (err: NodeJS.ErrnoException) => kill(err.code ?? 'EIO');
  up.on('error', onError);
  client.on('error', onError);
  pipe(client, up, touch, stalls[0]);
  pipe(up, client, touch, stalls[1]);
  client.resume();
  up.resume();
  let closed = 0;
  const closeOne = () => {
    if (++closed < 2) return;
    sweeper.delete(idle);
    for (const s of stalls) s(false);
    onClose(client.bytesRead, client.bytesWritten, reason || 'eof');
  };
  up.once('close', closeOne);
  client.once('close', closeOne);
  return { close: () => kill('closed') };
}

/**
 * The stall deadline of one destination, as `pipe`'s back-pressure callback: armed while `to`
 * pushes back; Node only says when its buffer drained, so a shrinking `writableLength` between
 * sweeps also counts as progress (one write request finished).
 */
function stallWatch(to: Socket, sweeper: Sweeper, stallMs: number, kill: (why: string) => void): (waiting: boolean) => void {
  let seen = 0;
  const stall: Expiring = {
    deadline: Infinity,
    expire: (now) => {
      if (to.writableLength === seen) return kill('stalled');
      seen = to.writableLength;
      stall.deadline = now + stallMs;
    },
  };
  return (waiting) => {
    if (!waiting || stallMs <= 0) return void sweeper.delete(stall);
    seen = to.writableLength;
    stall.deadline = sweeper.now + stallMs;
    sweeper.add(stall);
  };
}

/**
 * `from` → `to` with back-pressure and half-close: leaner than `stream.pipe` (no per-chunk stream
 * bookkeeping), which shows on small request/response exchanges. `touch` runs per chunk (idleness);
 * `backPressure(true)` when `from` is paused because `to` is full, `(false)` when it drained.
 */
export function pipe(from: Socket, to: Socket, touch?: () => void, backPressure?: (waiting: boolean) => void): void {
  const resume = () => {
    backPressure?.(false);
    from.resume();
  };
  from.on('data', (chunk: Buffer) => {
    touch?.();
    if (!to.write(chunk)) {
      from.pause();
      backPressure?.(true);
      to.once('drain', resume);
    }
  });
  from.once('end', () => to.end());
}
