/**
 * What the HTTP/1 engine shares across connections (built once by proxy.ts), and the client
 * connection as an exchange sees it.
 */
import type { Socket } from 'node:net';
import type { ForwardContext } from '../forward.js';
import type { Sweeper } from '../sweep.js';
import type { UpConn } from './pool.js';

export interface EngineContext extends ForwardContext {
  sweeper: Sweeper;
  headersTimeoutMs: number;
  /** Longest silence while a body streams, either way, and longest wait for a client to take bytes. */
  idleTimeoutMs: number;
}

export interface ClientSide {
  readonly socket: Socket;
  readonly remote: string;
  /** The client shut its sending side: answer, then close. */
  readonly halfClosed: boolean;
  /** The exchange is over; `close`: end the client connection after what was written. */
  finished(close: boolean): void;
  pauseBody(): void;
  resumeBody(): void;
  /** A 101 went out: relay bytes both ways with the instance connection; `done` once both sides closed. */
  tunnel(conn: UpConn, done: () => void): void;
}
