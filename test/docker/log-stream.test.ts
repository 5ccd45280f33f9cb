import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import Docker from 'dockerode';
import { LogStreamDemuxer, LogStreamError, MAX_SYSTEM_ERROR_BYTES } from '../../src/docker/log-stream.js';
import type { LogChunk } from '../../src/docker/types.js';
import { seededRng } from '../../src/scheduler/placement/rng.js';

/**
 * Docker's multiplexed log framing is bytes from the daemon (and, inside frames, whatever a
 * container wrote). The incremental demuxer is judged against docker-modem's `demuxStream` (what
 * dockerode users rely on) on seeded random well-formed streams cut at random places, and attacked
 * with malformed ones: unknown types, daemon errors, truncation, absurd sizes.
 */

function frame(type: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

function demux(pieces: Buffer[]): { stdout: Buffer; stderr: Buffer; chunks: LogChunk[] } {
  const d = new LogStreamDemuxer();
  const chunks = pieces.flatMap((p) => d.push(p));
  d.end();
  const join = (s: 'stdout' | 'stderr') => Buffer.concat(chunks.filter((c) => c.stream === s).map((c) => c.data));
  return { stdout: join('stdout'), stderr: join('stderr'), chunks };
}

/** docker-modem's demuxer over the same pieces, written one by one into a stream. */
async function oracle(pieces: Buffer[]): Promise<{ stdout: Buffer; stderr: Buffer }> {
  const modem = new Docker().modem;
  const src = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const sink = (into: Buffer[]) => ({ write: (b: Buffer) => void into.push(Buffer.from(b)) });
  modem.demuxStream(src, sink(out) as unknown as NodeJS.WritableStream, sink(err) as unknown as NodeJS.WritableStream);
  for (const p of pieces) {
    src.write(p);
    await new Promise((r) => setImmediate(r));
  }
  src.end();
  await new Promise((r) => setImmediate(r));
  return { stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
}

function cut(bytes: Buffer, rand: () => number): Buffer[] {
  const pieces: Buffer[] = [];
  let at = 0;
  while (at < bytes.length) {
    const n = rand() < 0.2 ? 1 : 1 + Math.floor(rand() * 40);
    pieces.push(bytes.subarray(at, at + n));
    at += n;
  }
  return pieces;
}

test('log stream demuxer agrees with docker-modem on 400 random well-formed streams, however they are cut', async () => {
  let frames = 0;
  for (let seed = 1; seed <= 400; seed++) {
    const rand = seededRng(seed);
    const parts: Buffer[] = [];
    const want = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
    for (let i = Math.floor(rand() * 12); i >= 0; i--) {
      // Types 1 and 2 only: on stdin frames (0) the references disagree — Go's stdcopy writes them to
      // stdout, docker-modem to stderr; Docker sends none on logs. Ours follows stdcopy (tested below).
      const type = rand() < 0.5 ? 1 : 2;
      const size = rand() < 0.15 ? 0 : Math.floor(rand() * (rand() < 0.1 ? 5_000 : 60));
      // Payloads include bytes that look like headers and invalid UTF-8: the framing, not the content, decides.
      const payload = Buffer.from(Array.from({ length: size }, () => Math.floor(rand() * 256)));
      parts.push(frame(type, payload));
      (type === 2 ? want.stderr : want.stdout).push(payload);
      frames++;
    }
    const bytes = Buffer.concat(parts);
    const pieces = cut(bytes, rand);
    const ours = demux(pieces);
    const theirs = await oracle(pieces);
    assert.ok(ours.stdout.equals(theirs.stdout), `seed ${seed}: stdout differs from docker-modem`);
    assert.ok(ours.stderr.equals(theirs.stderr), `seed ${seed}: stderr differs from docker-modem`);
    assert.ok(ours.stdout.equals(Buffer.concat(want.stdout)) && ours.stderr.equals(Buffer.concat(want.stderr)), `seed ${seed}: not what was framed`);
    // Byte by byte gives the same result as all at once.
    const whole = demux([bytes]);
    assert.ok(whole.stdout.equals(ours.stdout) && whole.stderr.equals(ours.stderr), `seed ${seed}: depends on where the bytes were cut`);
  }
  assert.ok(frames > 1_000, `only ${frames} frames tried`);
});

test('log stream demuxer passes payload on as it arrives: an announced 4 GiB frame costs only the bytes at hand', () => {
  const d = new LogStreamDemuxer();
  const header = Buffer.alloc(8);
  header[0] = 1;
  header.writeUInt32BE(0xffffffff, 4);
  assert.deepEqual(d.push(header), []);
  const piece = Buffer.alloc(64 * 1024, 0x61);
  for (let i = 0; i < 16; i++) {
    const out = d.push(piece);
    assert.equal(out.length, 1);
    assert.equal(out[0]!.data.length, piece.length);
    assert.equal(out[0]!.stream, 'stdout');
  }
  assert.throws(() => d.end(), (err: Error) => err instanceof LogStreamError && /ended \d+ bytes before the end of a frame/.test(err.message));
});

test('log stream demuxer refuses what is not Docker framing, and reports the daemon\'s own errors', () => {
  // An unknown stream type (a TTY stream, or misaligned bytes) ends the stream with a clear error, and stays ended.
  const d = new LogStreamDemuxer();
  assert.deepEqual(d.push(frame(1, Buffer.from('ok\n'))).map((c) => c.data.toString()), ['ok\n']);
  assert.throws(() => d.push(Buffer.from('hello world, no framing\n')), /unknown stream type 104/);
  assert.throws(() => d.push(frame(1, Buffer.from('more'))), /unknown stream type 104/);

  // A system-error frame (type 3) carries the daemon's message; nothing of it reaches stdout/stderr.
  const e = new LogStreamDemuxer();
  const pieces = [frame(2, Buffer.from('before\n')), frame(3, Buffer.from('container vanished\n'))];
  let seen: LogChunk[] = [];
  assert.throws(() => {
    for (const p of pieces) seen = seen.concat(e.push(p));
  }, /error from the Docker daemon in the log stream: container vanished/);
  assert.deepEqual(seen.map((c) => [c.stream, c.data.toString()]), [['stderr', 'before\n']]);

  // A huge system-error frame keeps at most 4 KiB of its text.
  const big = new LogStreamDemuxer();
  const text = Buffer.alloc(MAX_SYSTEM_ERROR_BYTES * 4, 0x78);
  assert.throws(() => big.push(frame(3, text)), (err: Error) => err.message.length < MAX_SYSTEM_ERROR_BYTES + 100);

  // Truncation: inside a header, inside a payload.
  const h = new LogStreamDemuxer();
  h.push(frame(1, Buffer.from('x')).subarray(0, 5));
  assert.throws(() => h.end(), /inside a frame header/);
  const p = new LogStreamDemuxer();
  assert.equal(p.push(frame(1, Buffer.from('abcdef')).subarray(0, 10))[0]!.data.toString(), 'ab');
  assert.throws(() => p.end(), /ended 4 bytes before the end of a frame/);

  // Stdin frames go to stdout, as in Go's stdcopy.
  assert.deepEqual(new LogStreamDemuxer().push(frame(0, Buffer.from('in'))).map((c) => [c.stream, c.data.toString()]), [['stdout', 'in']]);

  // Empty input and empty frames are fine; nonzero "unused" header bytes are ignored, as by stdcopy.
  const z = new LogStreamDemuxer();
  const odd = frame(2, Buffer.from('y'));
  odd[1] = 7;
  assert.deepEqual(z.push(Buffer.concat([frame(1, Buffer.alloc(0)), odd])).map((c) => c.data.toString()), ['y']);
  z.end();
});
