/**
 * The chunked transfer-coding (RFC 9112 §7.1) as a byte-at-a-time state machine that only finds
 * where the body ends: the proxy forwards chunked bytes unchanged, so it never re-encodes, and a
 * body split at any byte boundary parses the same. Strict: CRLF only, hex sizes only.
 * With a `data` callback it also reports the payload spans (to de-chunk for HTTP/1.0 clients).
 */

const enum S {
  Size,
  SizeDigits,
  Ext,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  Trailer,
  TrailerLf,
  EndLf,
  Done,
}

/** Sizes above this are refused (well inside exact double range, and no real body is 1 PB). */
const MAX_SIZE = 2 ** 50;

export class ChunkedError extends Error {
  readonly code = 'CHUNKED_ENCODING';
}

export type DataSink = (buf: Buffer, start: number, end: number) => void;

export class ChunkedDecoder {
  #state = S.Size;
  #size = 0;

  get done(): boolean {
    return this.#state === S.Done;
  }

  /**
   * Consumes `buf[start, end)`. Returns the offset just after the body's last byte when the body
   * ended inside this range, or -1 when every byte belonged to the body. Throws ChunkedError.
   */
  feed(buf: Buffer, start: number, end: number, data?: DataSink): number {
    let i = start;
    let state = this.#state;
    while (i < end) {
      if (state === S.Data) {
        const n = Math.min(this.#size, end - i);
        data?.(buf, i, i + n);
        this.#size -= n;
        i += n;
        if (this.#size === 0) state = S.DataCr;
        continue;
      }
      const c = buf[i++];
      switch (state) {
        case S.Size:
        case S.SizeDigits: {
          const d = hex(c);
          if (d !== -1) {
            this.#size = this.#size * 16 + d;
            if (this.#size > MAX_SIZE) throw new ChunkedError('chunk size too large');
            state = S.SizeDigits;
          } else if (state === S.Size) throw new ChunkedError('chunk size expected');
          else if (c === 13) state = S.SizeLf;
          else if (c === 59 /* ; */ || c === 32 || c === 9) state = S.Ext;
          else throw new ChunkedError('invalid chunk size');
          break;
        }
        case S.Ext:
          if (c === 13) state = S.SizeLf;
          else if (c === 10 || c === 0) throw new ChunkedError('bare LF in chunk extension');
          break;
        case S.SizeLf:
          if (c !== 10) throw new ChunkedError('CR without LF');
          state = this.#size === 0 ? S.TrailerStart : S.Data;
          break;
        case S.DataCr:
          if (c !== 13) throw new ChunkedError('chunk data longer than its size');
          state = S.DataLf;
          break;
        case S.DataLf:
          if (c !== 10) throw new ChunkedError('CR without LF');
          state = S.Size;
          break;
        case S.TrailerStart:
          if (c === 13) state = S.EndLf;
          else if (c === 10) throw new ChunkedError('bare LF in trailer');
          else state = S.Trailer;
          break;
        case S.Trailer:
          if (c === 13) state = S.TrailerLf;
          else if (c === 10) throw new ChunkedError('bare LF in trailer');
          break;
        case S.TrailerLf:
          if (c !== 10) throw new ChunkedError('CR without LF');
          state = S.TrailerStart;
          break;
        case S.EndLf:
          if (c !== 10) throw new ChunkedError('CR without LF');
          this.#state = S.Done;
          return i;
        case S.Done:
          return i - 1;
      }
    }
    this.#state = state;
    return -1;
  }
}

function hex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}
