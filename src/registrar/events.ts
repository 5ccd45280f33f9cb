/**
 * Follows Docker's event stream forever: reconnects with back-off whenever it drops, and reports
 * each (re)opening so the caller can re-list and reconcile — whatever happened while it was blind.
 */
import { sleep } from '../catalog/watch.js';
import type { ContainerEvent, DockerPort } from '../docker/types.js';
import type { Logger } from '../log/index.js';

export interface FollowOptions {
  signal: AbortSignal;
  log: Logger;
  /** Delay before reconnect attempt `n` (1-based). */
  backoff: (attempt: number) => number;
  onOpen: () => void;
  onEvent: (ev: ContainerEvent) => void;
  onClose: (err?: unknown) => void;
}

export async function followEvents(docker: DockerPort, o: FollowOptions): Promise<void> {
  let attempt = 0;
  while (!o.signal.aborted) {
    let open = false;
    const opened = () => {
      if (open) return;
      open = true;
      attempt = 0;
      o.log.info('event stream open');
      o.onOpen();
    };
    let failure: unknown;
    try {
      for await (const ev of docker.events(o.signal, { onOpen: opened })) {
        opened(); // a port without the hook: the first event proves the stream
        o.onEvent(ev);
      }
    } catch (err) {
      failure = err;
    }
    if (o.signal.aborted) return;
    o.onClose(failure);
    const delay = o.backoff(++attempt);
    o.log.warn({ err: failure, retryInMs: delay }, 'event stream closed; reconnecting');
    await sleep(delay, o.signal);
  }
}
