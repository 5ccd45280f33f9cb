/**
 * Docker's log stream format for containers without a TTY (the agent never allocates one): frames of
 * an 8-byte header — stream (0 stdin, 1 stdout, 2 stderr), three zero bytes, the payload length as a
 * big-endian uint32 — then the payload. Pure, so it is tested on hostile bytes: the payload is
 * whatever the container wrote, and the framing comes from the daemon.
 */

/** Joins the payloads of every complete frame; a truncated last frame keeps what arrived. */
export function demuxLogFrames(buf: Buffer): Buffer {
  // Not framed (a TTY container, or an empty log): the bytes are the output itself.
  if (!looksFramed(buf)) return buf;
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= buf.length) {
    const size = buf.readUInt32BE(at + 4);
    const start = at + 8;
    const end = Math.min(buf.length, start + size);
    parts.push(buf.subarray(start, end));
    at = end;
    if (end - start < size) break;
    // A header that does not look like one: the rest is not framing we understand; keep it raw.
    if (at < buf.length && !looksFramed(buf.subarray(at))) {
      parts.push(buf.subarray(at));
      break;
    }
  }
  return Buffer.concat(parts);
}

function looksFramed(buf: Buffer): boolean {
  return buf.length >= 8 && buf[0]! <= 2 && buf[1] === 0 && buf[2] === 0 && buf[3] === 0;
}

/**
 * The last `lines` lines of `text` (a trailing newline does not count as an empty line), at most
 * `maxBytes` UTF-8 bytes from the end, cut at a character boundary; control characters other than
 * newline and tab become `?`, so a terminal showing them cannot be steered by what a container wrote.
 */
export function lastLines(raw: Buffer, lines: number, maxBytes: number): string {
  let bytes = raw.length > maxBytes ? raw.subarray(raw.length - maxBytes) : raw;
  // Skip UTF-8 continuation bytes left at the cut.
  let skip = 0;
  while (skip < bytes.length && skip < 3 && (bytes[skip]! & 0xc0) === 0x80) skip++;
  bytes = bytes.subarray(skip);
  const text = bytes.toString('utf8').replace(/\r\n/g, '\n');
  const all = text.split('\n');
  if (all.length && all[all.length - 1] === '') all.pop();
  // eslint-disable-next-line no-control-regex
  return all.slice(-Math.max(0, lines)).join('\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f\u009b]/g, '?');
}
