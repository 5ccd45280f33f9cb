/**
 * The JavaScript L4 relay, for when the native one (l4-native.ts) is not built: two Node sockets
 * relayed with back-pressure and half-close, idle timeouts from the proxy's coarse sweep.
 */
import type { Socket } from 'node:net';
import type { OnTunnelClose, Tunnel } from './l4-native.js';
import type { Expiring, Sweeper } from './sweep.js';

/**
 * Relays `client` ↔ `up` (both paused, allowHalfOpen) until both closed; then `onClose` once with
 * the byte counts and the first reason seen (an error code, `idle`, `closed`, else `eof`).
 */
export function relayJs(client: Socket, up: Socket, sweeper: Sweeper, idleMs: number, onClose: OnTunnelClose): Tunnel {
  let reason = '';
  const kill = (why: string) => {
    reason ||= why;
    client.destroy();
    up.destroy();
  };
  const idle: Expiring = { deadline: sweeper.now + idleMs, expire: () => kill('idle') };
  sweeper.add(idle);
  const touch = () => void (idle.deadline = sweeper.now + idleMs);
  const onError = (err: NodeJS.ErrnoException) => kill(err.code ?? 'EIO');
  up.on('error', onError);
  client.on('error', onError);
  pipe(client, up, touch);
  pipe(up, client, touch);
  client.resume();
  up.resume();
  let closed = 0;
  const closeOne = () => {
    if (++closed < 2) return;
    sweeper.delete(idle);
    onClose(client.bytesRead, client.bytesWritten, reason || 'eof');
  };
  up.once('close', closeOne);
  client.once('close', closeOne);
  return { close: () => kill('closed') };
}

/**
 * `from` → `to` with back-pressure and half-close: leaner than `stream.pipe` (no per-chunk stream
 * bookkeeping), which shows on small request/response exchanges. `touch` runs per chunk (idleness).
 */
export function pipe(from: Socket, to: Socket, touch?: () => void): void {
  const resume = () => from.resume();
  from.on('data', (chunk: Buffer) => {
    touch?.();
    if (!to.write(chunk)) {
      from.pause();
      to.once('drain', resume);
    }
  });
  from.once('end', () => to.end());
}
