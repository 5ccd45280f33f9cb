/** The bounded log tail (why a container exited): framing read on hostile bytes, output made safe. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { demuxLogFrames, lastLines } from '../../src/docker/log-frames.js';

const frame = (stream: number, text: string | Buffer, size?: number) => {
  const payload = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(size ?? payload.length, 4);
  return Buffer.concat([h, payload]);
};

test('frames of stdout and stderr are joined in order; unframed bytes (TTY) pass as they are', () => {
  assert.equal(demuxLogFrames(Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n'), frame(1, '')])).toString(), 'out\nerr\n');
  assert.equal(demuxLogFrames(Buffer.from('plain tty output\n')).toString(), 'plain tty output\n');
  assert.equal(demuxLogFrames(Buffer.alloc(0)).length, 0);
});

test('hostile framing: a size past the end keeps what arrived; a broken header ends framing, keeping the rest raw', () => {
  assert.equal(demuxLogFrames(frame(1, 'short', 0xffffffff)).toString(), 'short');
  const broken = Buffer.concat([frame(1, 'ok\n'), Buffer.from('\x09garbage that is not a header')]);
  assert.equal(demuxLogFrames(broken).toString(), 'ok\n\x09garbage that is not a header');
  assert.equal(demuxLogFrames(Buffer.concat([frame(2, 'a'), Buffer.from([1, 0, 0])])).toString(), 'a\x01\x00\x00');
});

test('lastLines: the last N lines, at most maxBytes from the end at a character boundary, control characters neutralised', () => {
  assert.equal(lastLines(Buffer.from('a\nb\nc\nd\n'), 2, 100), 'c\nd');
  assert.equal(lastLines(Buffer.from('a\r\nb\r\n'), 5, 100), 'a\nb');
  assert.equal(lastLines(Buffer.from('x'.repeat(50) + '\nend'), 5, 10), 'xxxxxx\nend');
  assert.equal(lastLines(Buffer.from('ééé'), 1, 5), 'éé', 'a cut inside é drops its tail byte');
  assert.equal(lastLines(Buffer.from('\x1b]0;pwned\x07red\x1b[31m\ttab'), 1, 100), '?]0;pwned?red?[31m\ttab');
  assert.equal(lastLines(Buffer.alloc(0), 5, 100), '');
});
