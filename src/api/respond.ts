/**
 * Writing a route's reply and reading a request body: a JSON or text answer, a stream pumped with
 * back-pressure and a stall deadline (logs), and a body read up to the size limit that still lets the
 * 413 reach the client.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pump } from '../agent/logs/pump.js';
import { ApiError, sendJson } from './errors.js';
import type { Reply } from './router.js';

export async function sendStream(res: ServerResponse, reply: Extract<Reply, { stream: unknown }>, abort: AbortController, head: boolean): Promise<number> {
  const status = reply.status ?? 200;
  res.writeHead(status, { 'content-type': reply.contentType, 'cache-control': 'no-store' });
  if (head) {
    // A HEAD response has no body: node would discard every write at once, so nothing would ever
    // push back on the source; end it instead of pumping it into nothing.
    abort.abort();
    try {
      // Started and left at once, so the source's own clean-up (finally blocks) runs.
      for await (const piece of reply.stream) if (piece) break;
    } catch {
      // the aborted source may end with its abort error: nothing to tell a HEAD request
    }
    res.end();
    return status;
  }
  res.flushHeaders();
  await pump(res, reply.stream, { abort, stallMs: reply.stallMs });
  return status;
}

export function send(res: ServerResponse, reply: Exclude<Reply, { stream: unknown }>): number {
  const status = reply.status ?? 200;
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  if ('json' in reply) {
    sendJson(res, status, reply.json);
  } else {
    res.writeHead(status, { 'content-type': reply.contentType, 'content-length': Buffer.byteLength(reply.text), 'cache-control': 'no-store' });
    res.end(reply.text);
  }
  return status;
}

export function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= max) return void chunks.push(chunk);
      // Drain the rest unread so the 413 still reaches the client over this connection.
      req.off('data', onData);
      req.resume();
      reject(new ApiError('payload_too_large', `body larger than ${max} bytes`));
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
