/**
 * Opens the log stream of an allocation's container on this host: the one piece of log reading that
 * touches Docker, shared by the agent's endpoint (other hosts' servers) and, in `maestro up`, by the
 * API directly (same process, no network hop).
 */
import type { ContainerLogs, DockerPort } from '../../docker/types.js';
import { AGENT_LABELS } from '../labels.js';
import { LogsError } from './errors.js';
import { ndjsonLogs } from './ndjson.js';
import type { LogRequest } from './request.js';

/** A followed stream sends a keep-alive after this much silence (clients allow three times it). */
export const DEFAULT_KEEPALIVE_MS = 15_000;

export type LocalLogs = (req: LogRequest, signal: AbortSignal) => Promise<AsyncIterable<string>>;

export interface LocalLogsOptions {
  docker: Pick<DockerPort, 'listContainers'> & ContainerLogs;
  /** This host: only containers labelled `maestro.host=<host>` are read (never another agent's, nor unmanaged ones). */
  host: string;
  keepAliveMs?: number;
}

/**
 * NDJSON records (ndjson.ts) of the container, once Docker has answered: `not_found` when this host
 * has no such container (not started yet, removed, or on another host), before anything is sent.
 */
export function localLogs(opts: LocalLogsOptions): LocalLogs {
  return async (req, signal) => {
    const containers = await opts.docker.listContainers({
      all: true, // a stopped container's output is what tells why it stopped
      labels: [`${AGENT_LABELS.alloc}=${req.allocId}`, `${AGENT_LABELS.host}=${opts.host}`],
    });
    if (containers.length === 0) {
      throw new LogsError('not_found', `host ${opts.host} has no container of allocation ${req.allocId} (not started yet, or already removed)`);
    }
    const container = containers.find((c) => c.labels[AGENT_LABELS.member] === req.container);
    if (!container) {
      const members = containers.map((c) => c.labels[AGENT_LABELS.member]).filter(Boolean).join(', ');
      throw new LogsError('not_found', `allocation ${req.allocId} has no container "${req.container}" (its containers: ${members || 'none named'})`);
    }
    let chunks;
    try {
      chunks = await opts.docker.logs(container.id, { follow: req.follow, tail: req.tail, since: req.since, timestamps: req.timestamps }, signal);
    } catch (err) {
      if ((err as { code?: string }).code === 'not_found') throw new LogsError('not_found', `container ${container.name} is gone`, { cause: err });
      throw new LogsError('unavailable', `cannot read the logs of ${container.name} from Docker: ${(err as Error).message}`, { cause: err });
    }
    return ndjsonLogs(chunks, req.follow ? (opts.keepAliveMs ?? DEFAULT_KEEPALIVE_MS) : 0);
  };
}
