/**
 * Follows Docker's container events for this host's containers and calls `onChange` for those after
 * which Docker may no longer match the last pass. A dropped stream is reopened with back-off, and a
 * pass is triggered after each reconnect since events may have been missed meanwhile.
 */
import { sleep } from '../catalog/watch.js';
import type { DockerPort } from '../docker/types.js';
import type { Logger } from '../log/index.js';
import { AGENT_LABELS } from './labels.js';

const RELEVANT = /^(start|die|destroy|stop|oom|health_status)/;

export async function followEvents(
  docker: DockerPort,
  host: string,
  signal: AbortSignal,
  onChange: () => void,
  onError: () => void,
  logger: Logger,
): Promise<void> {
  let failures = 0;
  while (!signal.aborted) {
    try {
      for await (const ev of docker.events(signal)) {
        failures = 0;
        if (ev.attributes[AGENT_LABELS.host] === host && RELEVANT.test(ev.action)) onChange();
      }
    } catch (err) {
      failures++;
      onError();
      logger.warn({ err, attempt: failures }, 'docker event stream failed; reconnecting');
    }
    if (signal.aborted) return;
    await sleep(Math.min(5_000, 100 * 2 ** Math.min(failures, 10)), signal);
    onChange();
  }
}
