/**
 * The native L4 relay (native/tcp-relay.c): once both sockets are connected, their file
 * descriptors are handed to C and bytes move on libuv's loop without JavaScript per chunk. This
 * file is the one place that knows the addon's shape and reaches into Node's socket internals.
 */
import type { Socket } from 'node:net';
import { loadNative } from '../native/index.js';

/** Why a tunnel closed: `eof` (both directions finished), `idle`, `stalled` (a destination took
 *  nothing for stallMs), `closed` (close()), or an errno name. */
export type CloseReason = string;

/** Bytes client→instance, bytes instance→client, reason. Called once, from the event loop. */
export type OnTunnelClose = (bytesIn: number, bytesOut: number, reason: CloseReason) => void;

/** An open relayed pair, whichever relay moves its bytes; `close()` is idempotent. */
export interface Tunnel {
  close(): void;
}

interface TcpRelayAddon {
  /**
   * Takes (dups) both fds and relays them. Throws an Error whose `code` says why it could not take
   * them — an errno name (`EBADF`, `EMFILE`, `ENOTSOCK`, `EPROTOTYPE`: not a stream socket, …),
   * `ERR_INVALID_ARG_TYPE`, `ERR_RELAY_CLOSED` (the environment is shutting down), `ERR_RELAY_NAPI` —
   * and then holds nothing: the caller's sockets are untouched and no dup is left open.
   */
  relay(fdA: number, fdB: number, idleMs: number, stallMs: number, onClose: OnTunnelClose): Tunnel;
  /** Open native tunnels in this process. */
  active(): number;
}

export type TcpRelay = TcpRelayAddon;

/** The addon, or undefined when it is not built or MAESTRO_NATIVE=0 (the JS relay serves then). */
export function loadTcpRelay(env: NodeJS.ProcessEnv = process.env): TcpRelay | undefined {
  return loadNative<TcpRelayAddon>('tcp-relay', env);
}

/** The socket's file descriptor (Node's TCPWrap exposes it on POSIX), or -1. */
function socketFd(socket: Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  return typeof fd === 'number' ? fd : -1;
}

/**
 * Hands `client` ↔ `up` to the addon and destroys both JS sockets (the addon holds dups, so only
 * the originals close). Returns undefined, leaving the sockets untouched, when a socket has no fd
 * or JavaScript already read bytes from one (they would be lost): the caller relays in JavaScript
 * then. When the addon cannot take the pair it throws (see `relay`), the sockets still untouched.
 */
export function handOff(addon: TcpRelay, client: Socket, up: Socket, timeouts: { idleMs: number; stallMs: number }, onClose: OnTunnelClose): Tunnel | undefined {
  const a = socketFd(client);
  const b = socketFd(up);
  if (a < 0 || b < 0 || client.readableLength > 0 || up.readableLength > 0) return undefined;
  const tunnel = addon.relay(a, b, timeouts.idleMs, timeouts.stallMs, onClose);
  client.destroy();
  up.destroy();
  return tunnel;
}
