/**
 * Response heads as they arrive from the instance: a head split across reads is kept (copied: the
 * reads are views of a reused buffer), interim 1xx answers are handed on as they come, at most
 * MAX_INTERIM of them, and the final head (or a 101) is returned with where its body starts.
 */
import * as E from './errors.js';
import { HeadError, headText, parseResponseHead, type ResponseHead } from './parse.js';

const MAX_RESPONSE_HEAD = 64 * 1024;
/**
 * Interim (1xx) answers accepted before the final one. A real instance sends one or two (100
 * Continue, 103 Early Hints); an endless stream of them is refused with 502 rather than relayed
 * to a client that may not read them.
 */
export const MAX_INTERIM = 10;

export class ResponseHeads {
  /** After `read` returned a head: the bytes it came in, and where the body starts in them. */
  buf: Buffer = Buffer.alloc(0);
  start = 0;
  #pending: Buffer | null = null;
  #interim = 0;

  /**
   * The final (or 101) head once complete, else null (more bytes needed). `interim` gets each 1xx
   * head on the way. Throws a coded error for a head the engine refuses (→ 502).
   */
  read(chunk: Buffer, method: string, interim: (res: ResponseHead) => void): ResponseHead | null {
    let buf = chunk;
    let from = 0;
    if (this.#pending !== null) {
      from = Math.max(0, this.#pending.length - 3);
      buf = Buffer.concat([this.#pending, chunk]);
      this.#pending = null;
    }
    for (;;) {
      const head = headText(buf, from);
      if (head === undefined) {
        if (buf.length > MAX_RESPONSE_HEAD) throw E.codedError(E.HEADERS_OVERFLOW, 'response head too large');
        this.#pending = Buffer.from(buf);
        return null;
      }
      let res: ResponseHead;
      try {
        res = parseResponseHead(head, method);
      } catch (err) {
        if (err instanceof HeadError) throw E.codedError(E.INVALID_RESPONSE, err.message);
        throw err;
      }
      const start = head.length + 4;
      if (res.status >= 200 || res.status === 101) {
        this.buf = buf;
        this.start = start;
        return res;
      }
      if (++this.#interim > MAX_INTERIM) throw E.codedError(E.INVALID_RESPONSE, `more than ${MAX_INTERIM} interim responses`);
      interim(res);
      buf = buf.subarray(start);
      from = 0;
    }
  }

  /** A new attempt on another connection: nothing of the last one counts. */
  reset(): void {
    this.#pending = null;
    this.#interim = 0;
  }
}
