import Docker from 'dockerode';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { demuxLogFrames, lastLines } from './log-frames.js';
import { LogStreamDemuxer, LogStreamError } from './log-stream.js';
import { bridgeGateway, createBody, parseEvent, toContainerInfo } from './mapping.js';
import { credentialsFor, credentialsProblem, dockerConfigPath, parseDockerConfig } from './registry-auth.js';
import {
  DockerError,
  type ContainerEvent,
  type ContainerInfo,
  type ContainerSpec,
  type DockerPort,
  type EngineInfo,
  type EventHooks,
  type ListFilter,
  type ContainerLogs,
  type LogChunk,
  type LogOptions,
} from './types.js';

export interface DockerodeOptions {
  /** `unix:///path`, `tcp://host:port`, or a bare socket path; default DOCKER_HOST or /var/run/docker.sock. */
  host?: string;
  /** Per-request timeout for non-streaming calls. */
  timeoutMs?: number;
}

/** The longest stop grace a job may ask for (the spec's stopGracePeriod bound). */
const STOP_GRACE_MAX_SEC = 3600;

/** Builds dockerode's connection options from a DOCKER_HOST-style address. */
export function connectionOptions(host: string | undefined): Docker.DockerOptions {
  if (!host) return { socketPath: '/var/run/docker.sock' };
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host.startsWith('/')) return { socketPath: host };
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  return { host: url.hostname, port: Number(url.port || 2375), protocol: 'http' };
}

/** The Docker port over dockerode. Every dockerode type stays inside this file. */
export class DockerodeAdapter implements DockerPort, ContainerLogs {
  private readonly docker: Docker;
  private readonly streamDocker: Docker;

  constructor(opts: DockerodeOptions = {}) {
    const conn = connectionOptions(opts.host ?? process.env.DOCKER_HOST);
    this.docker = new Docker({ ...conn, timeout: opts.timeoutMs ?? 30_000 });
    // The event stream is long-lived: a request timeout would cut it every N seconds.
    this.streamDocker = new Docker(conn);
  }

  async ping(): Promise<void> {
    await this.call('ping', () => this.docker.ping());
  }

  async info(): Promise<EngineInfo> {
    const info = await this.call('info', () => this.docker.info());
    const bridge = await this.docker
      .getNetwork('bridge')
      .inspect()
      .catch(() => undefined);
    const gateway = bridgeGateway((bridge as { IPAM?: { Config?: Array<{ Subnet?: string; Gateway?: string }> } } | undefined)?.IPAM?.Config ?? []);
    return {
      name: info.Name,
      cpus: info.NCPU,
      memoryBytes: info.MemTotal,
      serverVersion: info.ServerVersion,
      ...(gateway ? { bridgeGateway: gateway } : {}),
    };
  }

  async listContainers(filter: ListFilter = {}): Promise<ContainerInfo[]> {
    const filters: Record<string, string[]> = {};
    if (filter.labels?.length) filters.label = filter.labels;
    const summaries = await this.call('list containers', () =>
      this.docker.listContainers({ all: filter.all ?? false, filters: JSON.stringify(filters) }),
    );
    const inspected = await Promise.all(summaries.map((s) => this.inspect(s.Id)));
    return inspected.filter((c): c is ContainerInfo => c !== undefined);
  }

  async inspect(id: string): Promise<ContainerInfo | undefined> {
    try {
      const raw = await this.docker.getContainer(id).inspect();
      return toContainerInfo(raw);
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw wrap('inspect', err);
    }
  }

  async *events(signal: AbortSignal, hooks: EventHooks = {}): AsyncIterable<ContainerEvent> {
    const stream = (await this.call('events', () =>
      this.streamDocker.getEvents({ filters: JSON.stringify({ type: ['container'] }) }),
    )) as unknown as Readable;
    // Aborted while connecting: the listener below would never fire and the stream would hang open.
    if (signal.aborted) {
      stream.destroy();
      return;
    }
    hooks.onOpen?.();
    const onAbort = () => stream.destroy();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      // Not readline: its iterator never settles when the input is destroyed, which left an aborted
      // (or daemon-killed) subscription pending forever. A stream's own iterator always settles.
      stream.setEncoding('utf8'); // a UTF-8 character split across chunks stays whole
      let buffered = '';
      for await (const chunk of stream) {
        buffered += String(chunk);
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          const event = line.trim() ? parseEvent(line) : undefined;
          if (event) yield event;
        }
      }
      if (!signal.aborted) throw new DockerError('unavailable', 'event stream ended');
    } catch (err) {
      if (signal.aborted) return;
      throw err instanceof DockerError ? err : wrap('events', err);
    } finally {
      signal.removeEventListener('abort', onAbort);
      stream.destroy();
    }
  }

  async run(spec: ContainerSpec): Promise<string> {
    const container = await this.call('create', () => this.docker.createContainer(createBody(spec)));
    try {
      await this.call('start', () => container.start());
    } catch (err) {
      await this.remove(container.id).catch(() => undefined);
      throw err;
    }
    return container.id;
  }

  async stop(id: string, timeoutSec?: number): Promise<void> {
    // Stopping takes as long as the grace period, which may exceed the request timeout: the client
    // without one, bounded by the grace (given, or at most the container's own) plus a margin.
    const deadlineMs = (timeoutSec ?? STOP_GRACE_MAX_SEC) * 1000 + 30_000;
    try {
      await this.streamDocker.getContainer(id).stop({ ...(timeoutSec !== undefined ? { t: timeoutSec } : {}), abortSignal: AbortSignal.timeout(deadlineMs) });
    } catch (err) {
      const status = statusOf(err);
      if (status === 304 || status === 404) return; // already stopped / gone
      throw wrap('stop', err);
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (err) {
      const status = statusOf(err);
      if (status === 404) return;
      // 409 "removal already in progress" means someone else is doing our job.
      if (status === 409 && /already in progress/.test(String((err as Error).message))) return;
      throw wrap('remove', err);
    }
  }

  async hasImage(ref: string): Promise<boolean> {
    try {
      await this.docker.getImage(ref).inspect();
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw wrap('inspect image', err);
    }
  }

  async pullImage(ref: string): Promise<void> {
    if (await this.hasImage(ref)) return;
    const config = parseDockerConfig(await readFile(dockerConfigPath(), 'utf8').catch(() => undefined));
    const authconfig = credentialsFor(ref, config);
    const problem = credentialsProblem(ref, config);
    try {
      const stream = await this.docker.pull(ref, authconfig ? { authconfig } : {});
      await new Promise<void>((resolve, reject) =>
        this.docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())),
      );
    } catch (err) {
      throw new DockerError('image_unavailable', `cannot pull ${ref}: ${(err as Error).message}${problem ? ` (${problem})` : ''}`, { cause: err });
    }
  }

  async ensureVolume(name: string, labels: Record<string, string>): Promise<void> {
    // Creating an existing local volume returns it untouched (its data and labels are kept).
    await this.call('create volume', () => this.docker.createVolume({ Name: name, Driver: 'local', Labels: labels }));
  }

  async removeVolume(name: string): Promise<'removed' | 'missing' | 'in_use'> {
    try {
      await this.docker.getVolume(name).remove();
      return 'removed';
    } catch (err) {
      const status = statusOf(err);
      if (status === 404) return 'missing';
      if (status === 409) return 'in_use';
      throw wrap('remove volume', err);
    }
  }

  async logTail(id: string, lines: number, maxBytes = 4096): Promise<string> {
    try {
      // Not followed: Docker answers with the whole tail at once (a Buffer), bounded by `tail`.
      const raw = (await this.docker.getContainer(id).logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown;
      const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw ?? ''));
      return lastLines(demuxLogFrames(buf), lines, maxBytes);
    } catch (err) {
      if (statusOf(err) === 404) return '';
      throw wrap('logs', err);
    }
  }

  async logs(id: string, opts: LogOptions, signal: AbortSignal): Promise<AsyncIterable<LogChunk>> {
    const container = await this.call('inspect', () => this.docker.getContainer(id).inspect());
    const options: Record<string, unknown> = { stdout: true, stderr: true, follow: opts.follow === true, timestamps: opts.timestamps === true };
    if (opts.tail !== undefined) options.tail = opts.tail;
    if (opts.since !== undefined) options.since = opts.since;
    // Always as a stream (dockerode buffers the whole log in memory otherwise), on the client
    // without a request timeout: a followed log may stay quiet for hours.
    const stream = (await this.call('logs', () =>
      new Promise<unknown>((resolve, reject) =>
        this.streamDocker.modem.dial(
          {
            path: `/containers/${encodeURIComponent(id)}/logs?`,
            method: 'GET',
            isStream: true,
            statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
            options,
          },
          (err: unknown, data: unknown) => (err ? reject(err) : resolve(data)),
        ),
      ),
    )) as Readable;
    // Destroyed on abort from now on, even if the caller never starts iterating.
    const onAbort = () => stream.destroy();
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) stream.destroy();
    return readLogStream(stream, container.Config?.Tty === true, signal, onAbort);
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw wrap(what, err);
    }
  }
}

function statusOf(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null ? (err as { statusCode?: number }).statusCode : undefined;
}

function wrap(what: string, err: unknown): DockerError {
  if (err instanceof DockerError) return err;
  const status = statusOf(err);
  const message = `${what}: ${(err as Error)?.message ?? String(err)}`;
  if (status === 404) return new DockerError('not_found', message, { cause: err });
  if (status === 409) return new DockerError('conflict', message, { cause: err });
  if (status === undefined) return new DockerError('unavailable', message, { cause: err });
  return new DockerError('failed', message, { cause: err });
}

/**
 * Docker's answer to a logs request as chunks. The stream's own iterator pulls: while the caller
 * asks for nothing, nothing is read from the socket and TCP pushes back on the daemon.
 */
async function* readLogStream(stream: Readable, tty: boolean, signal: AbortSignal, onAbort: () => void): AsyncIterable<LogChunk> {
  const demux = new LogStreamDemuxer();
  try {
    for await (const chunk of stream) {
      const data = chunk as Buffer;
      if (tty) yield { stream: 'stdout', data };
      else yield* demux.push(data);
    }
    if (signal.aborted) return;
    if (!tty) demux.end();
  } catch (err) {
    if (signal.aborted) return;
    if (err instanceof LogStreamError) throw new DockerError('failed', err.message, { cause: err });
    throw wrap('logs', err);
  } finally {
    signal.removeEventListener('abort', onAbort);
    stream.destroy();
  }
}
