import { crc32 } from 'node:zlib';

/**
 * The on-disk frame of every log record and of the snapshot: one line
 *
 *     <payload length, decimal> <CRC-32 of the payload, 8 lowercase hex> <JSON payload>\n
 *
 * JSON never holds a raw line feed, so a frame's only `\n` is its last byte. That is what tells an
 * unfinished write from damage: a process killed mid-write leaves a *prefix* of a frame — no line
 * end, and (by its length) running past the end of the file, or (on file systems that extend a file
 * with zeros before its data lands, after a power loss) ending in NUL bytes. Anything else that fails
 * its length, line end or checksum was complete once and has been damaged since.
 */

const NL = 0x0a;
const SP = 0x20;
const MAX_LENGTH_DIGITS = 10;

export function encodeFrame(value: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(value), 'utf8');
  const head = Buffer.from(`${json.length} ${crc32(json).toString(16).padStart(8, '0')} `, 'latin1');
  return Buffer.concat([head, json, Buffer.of(NL)]);
}

export type FrameRead =
  | { kind: 'frame'; value: unknown; end: number }
  /** The file ends inside an unfinished write of this frame: never acknowledged, safe to cut. */
  | { kind: 'torn' }
  /** A frame that was complete once and is damaged: cutting it could lose acknowledged writes. */
  | { kind: 'bad'; why: string };

/** Reads the frame starting at `at` (which must be below `buf.length`). */
export function readFrame(buf: Buffer, at: number): FrameRead {
  const fail = (why: string, pastEnd: boolean): FrameRead => {
    const noLineEnd = buf.indexOf(NL, at) === -1;
    const zeroFilled = buf[buf.length - 1] === 0;
    return noLineEnd && (pastEnd || zeroFilled) ? { kind: 'torn' } : { kind: 'bad', why };
  };
  let i = at;
  while (i < buf.length && i - at < MAX_LENGTH_DIGITS && isDigit(buf[i]!)) i++;
  if (i === buf.length) return fail('the file ends inside a frame header', true);
  if (i === at || buf[i] !== SP) return fail('malformed frame header', false);
  const length = Number(buf.toString('latin1', at, i));
  const crcAt = i + 1;
  if (crcAt + 9 > buf.length) return fail('the file ends inside a frame header', true);
  const crcText = buf.toString('latin1', crcAt, crcAt + 8);
  if (!/^[0-9a-f]{8}$/.test(crcText) || buf[crcAt + 8] !== SP) return fail('malformed frame header', false);
  const payload = crcAt + 9;
  const end = payload + length + 1;
  if (end > buf.length) return fail('a frame runs past the end of the file', true);
  if (buf[end - 1] !== NL) return fail('a frame does not end where its length says', false);
  const bytes = buf.subarray(payload, end - 1);
  if (crc32(bytes) !== parseInt(crcText, 16)) return fail('checksum mismatch', false);
  try {
    return { kind: 'frame', value: JSON.parse(bytes.toString('utf8')), end };
  } catch {
    return { kind: 'bad', why: 'the checksum matches but the payload is not JSON' };
  }
}

export interface Scan {
  frames: Array<{ value: unknown; offset: number }>;
  /** Where the valid frames end: the file's length unless a problem stopped the scan. */
  end: number;
  problem?: { offset: number; torn: true } | { offset: number; torn: false; why: string };
}

/** Reads every frame of a file's bytes, stopping at the first that does not read. */
export function scanFrames(buf: Buffer): Scan {
  const frames: Scan['frames'] = [];
  let at = 0;
  while (at < buf.length) {
    const read = readFrame(buf, at);
    if (read.kind === 'torn') return { frames, end: at, problem: { offset: at, torn: true } };
    if (read.kind === 'bad') return { frames, end: at, problem: { offset: at, torn: false, why: read.why } };
    frames.push({ value: read.value, offset: at });
    at = read.end;
  }
  return { frames, end: at };
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}
