/**
 * Writes a log stream to an HTTP response with back-pressure and a stall deadline: the next piece
 * is pulled from the source only once the response took the previous one, and a client that stops
 * reading for `stallMs` (its socket full, no 'drain') is disconnected, so no reader can make us
 * buffer without bound or hold a Docker stream forever by not reading. A client that goes aborts
 * `abort`, which ends the source (and the Docker stream behind it).
 */
import type { ServerResponse } from 'node:http';
import { encodeRecord } from './ndjson.js';

export const DEFAULT_STALL_MS = 30_000;

export interface PumpOptions {
  /** Disconnect a client that has not taken any bytes for this long while we had some to send. */
  stallMs?: number;
  /** Aborted when the client goes; the source's producer must listen to it. */
  abort: AbortController;
  /** Called with an error the source threw after the head was sent (the stream then ends with an error record). */
  onError?: (err: unknown) => void;
}

export type PumpResult = 'ended' | 'client_gone' | 'stalled' | 'failed';

/** Streams `source` into `res` (head already written); resolves how it ended. Never rejects. */
export async function pump(res: ServerResponse, source: AsyncIterable<string | Buffer>, opts: PumpOptions): Promise<PumpResult> {
  const stallMs = opts.stallMs ?? DEFAULT_STALL_MS;
  let gone = false;
  const onClose = () => {
    gone = true;
    opts.abort.abort();
  };
  res.once('close', onClose);
  try {
    for await (const piece of source) {
      if (gone) return 'client_gone';
      if (!res.write(piece) && !(await drained(res, stallMs))) {
        if (gone) return 'client_gone';
        res.destroy();
        opts.abort.abort();
        return 'stalled';
      }
    }
    if (gone) return 'client_gone';
    res.end();
    return 'ended';
  } catch (err) {
    if (gone) return 'client_gone';
    opts.onError?.(err);
    res.end(encodeRecord({ error: (err as Error).message ?? String(err) }));
    return 'failed';
  } finally {
    res.off('close', onClose);
    opts.abort.abort();
  }
}

/** True once `res` drained; false when it closed or `ms` passed first. */
function drained(res: ServerResponse, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    const timer = setTimeout(() => done(false), ms);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}
