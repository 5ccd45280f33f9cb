/**
 * Docker's multiplexed log stream, read incrementally (the framing of `GET /containers/{id}/logs`
 * for containers without a TTY, Go's `stdcopy`): frames of an 8-byte header — stream type (0 stdin,
 * 1 stdout, 2 stderr, 3 system error), three bytes Docker leaves zero, the payload size as a
 * big-endian uint32 — then the payload. Bytes go in as the socket delivers them and payload comes
 * out at once, so a frame of any announced size never makes us hold more than the bytes at hand
 * (stdcopy allocates the whole frame: a 4 GiB size would be 4 GiB of memory). `log-frames.ts`
 * reads a whole, bounded buffer instead (the tail that says why a container exited).
 *
 * Where stdcopy leaves room: stdin frames count as stdout (as in stdcopy); the three unused header
 * bytes are not checked (stdcopy does not either); an unknown stream type ends the stream with an
 * error (stdcopy: "Unrecognized input header"), as does a system-error frame, whose text (cut at
 * 4 KiB) is the message ("error from daemon in stream"). A stream that ends inside a frame is
 * reported by `end()`: stdcopy drops the partial frame silently, but its first bytes have already
 * been passed on here, so the caller is told instead.
 */
import type { LogChunk } from './types.js';

const HEADER = 8;
/** Most of a system-error frame's text kept for the error message. */
export const MAX_SYSTEM_ERROR_BYTES = 4_096;

export class LogStreamError extends Error {
  readonly code = 'bad_stream';
  constructor(message: string) {
    super(message);
    this.name = 'LogStreamError';
  }
}

export class LogStreamDemuxer {
  private readonly header = Buffer.alloc(HEADER);
  private headerLength = 0;
  /** Payload bytes still to come of the current frame (0 between frames). */
  private remaining = 0;
  private type: 'stdout' | 'stderr' | 'system' = 'stdout';
  private readonly systemError: Buffer[] = [];
  private systemErrorBytes = 0;
  private failed?: LogStreamError;

  /** The payload pieces in `chunk`, in order; throws LogStreamError on a malformed stream (and on every later call). */
  push(chunk: Buffer): LogChunk[] {
    if (this.failed) throw this.failed;
    const out: LogChunk[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.remaining === 0) {
        const take = Math.min(HEADER - this.headerLength, chunk.length - at);
        chunk.copy(this.header, this.headerLength, at, at + take);
        this.headerLength += take;
        at += take;
        if (this.headerLength < HEADER) break;
        this.startFrame();
        if (this.remaining === 0) this.endFrame();
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - at);
      const piece = chunk.subarray(at, at + take);
      at += take;
      this.remaining -= take;
      if (this.type === 'system') this.keepSystemError(piece);
      else out.push({ stream: this.type, data: piece });
      if (this.remaining === 0) this.endFrame();
    }
    return out;
  }

  /** Throws when the bytes so far stop inside a frame (its header or its payload). */
  end(): void {
    if (this.failed) throw this.failed;
    if (this.remaining > 0) throw this.fail(`log stream ended ${this.remaining} bytes before the end of a frame`);
    if (this.headerLength > 0) throw this.fail('log stream ended inside a frame header');
  }

  private startFrame(): void {
    const type = this.header[0]!;
    if (type > 3) throw this.fail(`not a Docker log stream: unknown stream type ${type} in a frame header`);
    this.type = type === 2 ? 'stderr' : type === 3 ? 'system' : 'stdout';
    this.remaining = this.header.readUInt32BE(4);
  }

  private endFrame(): void {
    this.headerLength = 0;
    if (this.type !== 'system') return;
    const text = Buffer.concat(this.systemError).toString('utf8').trim();
    throw this.fail(`error from the Docker daemon in the log stream: ${text || '(no message)'}`);
  }

  private keepSystemError(piece: Buffer): void {
    const room = MAX_SYSTEM_ERROR_BYTES - this.systemErrorBytes;
    if (room <= 0) return;
    const kept = Buffer.from(piece.subarray(0, room));
    this.systemError.push(kept);
    this.systemErrorBytes += kept.length;
  }

  private fail(message: string): LogStreamError {
    this.failed = new LogStreamError(message);
    return this.failed;
  }
}
