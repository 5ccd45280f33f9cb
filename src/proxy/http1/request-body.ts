/**
 * The request on its way to the instance: the rewritten head goes out with whatever body bytes
 * arrived meanwhile in one write; later body bytes follow as they come, with back-pressure on the
 * client. Bytes that arrive before a connection can take them are held (at most MAX_QUEUED, then
 * the client is paused), so a request whose connection failed can still be retried elsewhere.
 */
import type { ClientSide, EngineContext } from './context.js';
import { Body, type RequestHead } from './parse.js';
import type { UpConn } from './pool.js';
import { upstreamRequestHead } from './reply.js';

/** Request body bytes held while no connection can take them (then the client is paused). */
const MAX_QUEUED = 64 * 1024;

export class RequestBody {
  /** The head went out on the current attempt's connection. */
  sent = false;
  /** The whole request body was read from the client. */
  done: boolean;
  #queue: Buffer[] | null = null;
  #queued = 0;
  readonly #head: string;

  constructor(
    private readonly ctx: EngineContext,
    private readonly client: ClientSide,
    req: RequestHead,
  ) {
    this.done = req.body === Body.None;
    this.#head = upstreamRequestHead(req, client.remote, 'http');
  }

  /** A new attempt: nothing of the request is on its connection yet. */
  unsent(): void {
    this.sent = false;
  }

  /** Head plus whatever body arrived so far, in one write; arms the headers or body-idle deadline. */
  send(conn: UpConn): void {
    conn.deadline = this.ctx.sweeper.now + (this.done ? this.ctx.headersTimeoutMs : this.ctx.idleTimeoutMs);
    this.sent = true;
    const queue = this.#queue;
    if (queue === null) {
      conn.socket.write(this.#head, 'latin1');
      return;
    }
    this.#queue = null;
    const head = Buffer.from(this.#head, 'latin1');
    const ok = conn.socket.write(queue.length === 1 ? Buffer.concat([head, queue[0]]) : Buffer.concat([head, ...queue]));
    if (this.#queued > MAX_QUEUED) this.#afterWrite(conn, ok);
    this.#queued = 0;
  }

  /** Request body bytes (raw, framing included), owned by the caller's buffer. `awaiting`: no response head yet. */
  chunk(chunk: Buffer, conn: UpConn | null, awaiting: boolean): void {
    if (chunk.length === 0) return;
    if (this.sent && conn !== null) {
      if (awaiting) conn.deadline = this.ctx.sweeper.now + this.ctx.idleTimeoutMs;
      if (!conn.socket.write(chunk)) this.#afterWrite(conn, false);
      return;
    }
    (this.#queue ??= []).push(chunk);
    this.#queued += chunk.length;
    if (this.#queued > MAX_QUEUED) this.client.pauseBody();
  }

  end(): void {
    this.done = true;
  }

  /** The body is all out and no response head came yet: the headers deadline starts now. */
  awaitAnswer(conn: UpConn | null): void {
    if (this.sent && conn !== null) conn.deadline = this.ctx.sweeper.now + this.ctx.headersTimeoutMs;
  }

  #afterWrite(conn: UpConn, ok: boolean): void {
    if (ok) return this.client.resumeBody();
    this.client.pauseBody();
    conn.socket.once('drain', () => this.client.resumeBody());
  }
}
