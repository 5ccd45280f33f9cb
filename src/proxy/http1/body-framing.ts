/**
 * Where a message body ends, for request and response bodies alike: a length to count down, a
 * chunked body to follow (chunked.ts), nothing, or the connection's end. Bodies are forwarded in
 * their own framing, so this only says where the next message starts.
 */
import { ChunkedDecoder, type DataSink } from './chunked.js';
import { Body } from './parse.js';

export class BodyFraming {
  /** Bodiless messages (most responses to GET are not, but 204/304/HEAD are) share one stateless instance. */
  static readonly #none = new BodyFraming(Body.None, 0);

  static for(kind: Body, length: number): BodyFraming {
    return kind === Body.None ? BodyFraming.#none : new BodyFraming(kind, length);
  }

  #left: number;
  readonly #chunks: ChunkedDecoder | null;

  constructor(
    readonly kind: Body,
    length: number,
  ) {
    this.#left = kind === Body.Length ? length : 0;
    this.#chunks = kind === Body.Chunked ? new ChunkedDecoder() : null;
  }

  /**
   * Consumes `buf[start, end)`: returns the offset just after the body's last byte when the body
   * ends in this range, else -1 (every byte belonged to the body). `data` gets a chunked body's
   * payload spans (to de-chunk). Throws ChunkedError on broken chunked framing.
   */
  feed(buf: Buffer, start: number, end: number, data?: DataSink): number {
    switch (this.kind) {
      case Body.None:
        return start;
      case Body.Length: {
        const n = Math.min(end - start, this.#left);
        this.#left -= n;
        return this.#left === 0 ? start + n : -1;
      }
      case Body.Chunked:
        return this.#chunks!.feed(buf, start, end, data);
      default:
        return -1;
    }
  }
}
