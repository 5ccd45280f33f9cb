/**
 * Host registration bound to a liveness session: the host is alive while the session is renewed
 * (every TTL/3). When a renewal says the session is gone (it expired during an outage or a pause),
 * a new one is made and the host registered again. Failures are retried with back-off, never fatal.
 * Renewals also need the local Docker daemon to answer: a host that cannot run containers lets its
 * session lapse, so the scheduler treats it as down.
 */
import type { Catalog, Capacity, HostRecord } from '../catalog/types.js';
import { sleep } from '../catalog/watch.js';
import type { DockerPort } from '../docker/types.js';
import type { Logger } from '../log/index.js';

export interface HeartbeatOptions {
  catalog: Catalog;
  docker: DockerPort;
  host: string;
  advertise: string;
  meta: Record<string, string>;
  /** Overrides what Docker reports, per dimension. */
  capacity?: Partial<Capacity>;
  ttlMs: number;
  logger: Logger;
  signal: AbortSignal;
  /**
   * Told about each (re-)registration. A re-registration means the host was down meanwhile (its
   * session expired), so its allocations may have moved: the agent re-reads them at once.
   */
  onRegistered?: (sessionId: string, again: boolean) => void;
  onError?: () => void;
  /** A renewal succeeded: the session never lapsed, so nothing of this host's was moved. */
  onAlive?: () => void;
  /** A renewal failed or found the session gone: this host may have been declared down. */
  onDoubt?: () => void;
  /**
   * Runs before the host is registered again after its session lapsed, and must succeed first:
   * the agent stops the replicas that were moved meanwhile, so that nothing stale is registered
   * (instances are re-bound to the new session as soon as the host is registered).
   */
  fence?: () => Promise<void>;
}

export async function capacityOf(docker: DockerPort, override: Partial<Capacity> = {}): Promise<Capacity> {
  if (override.cpu !== undefined && override.memory !== undefined) return { cpu: override.cpu, memory: override.memory };
  const info = await docker.info();
  return {
    cpu: override.cpu ?? info.cpus * 1000,
    memory: override.memory ?? Math.floor(info.memoryBytes / (1024 * 1024)),
  };
}

/** Runs until `signal` aborts; resolves with the last session id (for a graceful destroy). */
export async function heartbeat(opts: HeartbeatOptions): Promise<string | undefined> {
  const { catalog, logger, signal } = opts;
  let session: string | undefined;
  let registered = false;
  let registrations = 0;
  let failures = 0;
  while (!signal.aborted) {
    try {
      // A host whose Docker daemon is gone can run nothing: let its session lapse (the host goes
      // down and the scheduler moves its work) rather than keep it alive and attractive.
      await opts.docker.ping();
      if (registered) {
        if (await catalog.renewSession(session!)) {
          opts.onAlive?.();
        } else {
          logger.warn({ session }, 'host session expired; fencing moved replicas, then registering again');
          opts.onDoubt?.();
          session = undefined;
          registered = false;
        }
      }
      if (!registered) {
        if (registrations > 0) await opts.fence?.();
        const capacity = await capacityOf(opts.docker, opts.capacity);
        const record: HostRecord = { name: opts.host, address: opts.advertise, meta: opts.meta, capacity };
        session ??= await catalog.createSession({ name: `host:${opts.host}`, ttlMs: opts.ttlMs });
        await catalog.registerHost(record, session);
        registered = true;
        logger.info({ session, capacity }, 'host registered');
        opts.onRegistered?.(session, registrations++ > 0);
      }
      failures = 0;
      await sleep(Math.max(50, Math.floor(opts.ttlMs / 3)), signal);
    } catch (err) {
      if (signal.aborted) break;
      // A session that died between create and register is replaced on the next attempt.
      if ((err as { code?: string }).code === 'session_invalid') session = undefined;
      failures++;
      opts.onError?.();
      opts.onDoubt?.();
      logger.warn({ err, attempt: failures }, 'host heartbeat failed; retrying');
      await sleep(Math.min(5_000, 100 * 2 ** Math.min(failures - 1, 10)), signal);
    }
  }
  return session;
}
