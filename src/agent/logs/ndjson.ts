/**
 * The wire format of a log stream, agent → server → CLI: newline-delimited JSON, one record per
 * piece of output, `{"stream":"stdout","text":"…"}` (a piece is what Docker delivered, not
 * necessarily a whole line); a stream that fails after it started ends with `{"error":"…"}`; a
 * blank line is a keep-alive, sent while a followed container is quiet so that every hop can tell
 * a quiet stream from a dead peer. Text is decoded as UTF-8 per stream, keeping a character split
 * across Docker's frames whole; invalid bytes become U+FFFD, as in Docker's json-file log driver.
 */
import { StringDecoder } from 'node:string_decoder';
import type { LogChunk } from '../../docker/types.js';

export const KEEPALIVE = '\n';

export interface LogRecord {
  stream?: 'stdout' | 'stderr';
  text?: string;
  error?: string;
}

export function encodeRecord(record: LogRecord): string {
  return `${JSON.stringify(record)}\n`;
}

/**
 * Docker's chunks as NDJSON records, with a keep-alive every `keepAliveMs` of silence (0: none).
 * Reads the next chunk only when the consumer asks for the next record, so back-pressure reaches
 * Docker. Ending the consumer early does not end `chunks`: abort the signal given to its producer.
 */
export async function* ndjsonLogs(chunks: AsyncIterable<LogChunk>, keepAliveMs = 0): AsyncGenerator<string> {
  const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  const it = chunks[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<LogChunk>> | undefined;
  try {
    for (;;) {
      pending ??= it.next();
      const next = keepAliveMs > 0 ? await raceTimer(pending, keepAliveMs) : await pending;
      if (next === 'timeout') {
        yield KEEPALIVE;
        continue;
      }
      pending = undefined;
      if (next.done) break;
      const text = decoders[next.value.stream].write(next.value.data);
      if (text) yield encodeRecord({ stream: next.value.stream, text });
    }
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = decoders[stream].end();
      if (rest) yield encodeRecord({ stream, text: rest });
    }
  } finally {
    // A next() still in flight when the consumer left: its rejection (the aborted stream) is nobody's.
    pending?.catch(() => undefined);
  }
}

function raceTimer<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
