/**
 * The Docker port: everything Maestro needs from a container engine, in Maestro's own types.
 * dockerode stays behind `dockerode-adapter.ts`; the registrar and the agent see only this, so their
 * logic is tested with plain data (registrator's bridge could not be: it took a concrete client).
 */

export type ContainerHealth = 'healthy' | 'unhealthy' | 'starting';

export interface PortBinding {
  /** Port inside the container. */
  containerPort: number;
  protocol: 'tcp' | 'udp';
  /** Host side, when published; `hostIp` is '' or '0.0.0.0' / '::' for all addresses. */
  hostIp?: string;
  hostPort?: number;
}

/** A container as inspected: the registrar maps this to service instances. */
export interface ContainerInfo {
  id: string;
  /** Without the leading slash. */
  name: string;
  image: string;
  labels: Record<string, string>;
  env: Record<string, string>;
  running: boolean;
  paused: boolean;
  /** Undefined when the image has no HEALTHCHECK. */
  health?: ContainerHealth;
  /** Published bindings plus exposed-only ports (those without hostPort). */
  ports: PortBinding[];
  /** IP on the first network that has one ('' with network mode host/none/container:). */
  ipAddress: string;
  networkMode: string;
  /** Exit code of the last run, when stopped. */
  exitCode?: number;
  startedAt?: string;
  /** When the last run ended (Docker's zero time `0001-…` when it never did). */
  finishedAt?: string;
  /** The kernel killed the last run for exceeding its memory limit. */
  oomKilled?: boolean;
  /** Docker's own error for the last start (`exec: "x": executable file not found…`), when any. */
  error?: string;
  /** Output of the last HEALTHCHECK run (Docker keeps it in State.Health.Log), trimmed. */
  healthOutput?: string;
}

export interface ContainerEvent {
  /** start, die, stop, kill, destroy, pause, unpause, health_status, create, … */
  action: string;
  id: string;
  /** Milliseconds since the epoch (Docker's timeNano / 1e6). */
  time: number;
  /** Labels of the container (the event's Actor.Attributes). */
  attributes: Record<string, string>;
}

export interface EventHooks {
  /**
   * Called once the daemon has accepted the subscription (before any event), so a caller can
   * subscribe first and list second without missing what happens in between.
   */
  onOpen?: () => void;
}

export interface EngineInfo {
  name: string;
  cpus: number;
  memoryBytes: number;
  serverVersion: string;
  /** Gateway of the default bridge network (docker0, 172.17.0.1 by default): how containers reach the host. */
  bridgeGateway?: string;
}

/** What the agent asks for; translated to Docker's create body by the adapter. */
export interface ContainerSpec {
  name: string;
  image: string;
  command?: string[];
  env?: Record<string, string>;
  labels?: Record<string, string>;
  /** Published ports; `hostPort` 0 or absent picks a dynamic one. */
  ports?: Array<{ containerPort: number; protocol?: 'tcp' | 'udp'; hostPort?: number; hostIp?: string }>;
  /** `bridge` (default), `host`, `none`, or `container:<id>` to join another container's namespace. */
  networkMode?: string;
  /** Millicores → CPU shares (a weight, not a cap); MiB → Memory (a hard limit); absent means none. */
  cpu?: number;
  memory?: number;
  dns?: string[];
  /** DNS search domains (resolv.conf `search`). */
  dnsSearch?: string[];
  restartPolicy?: 'no' | 'on-failure' | 'unless-stopped' | 'always';
  /** Replaces the image's ENTRYPOINT. */
  entrypoint?: string[];
  user?: string;
  workingDir?: string;
  /** `SIGTERM`-style name or a number, as text. */
  stopSignal?: string;
  /** Whole seconds between the stop signal and SIGKILL, kept on the container (`stop` without a timeout uses it). */
  stopTimeoutSec?: number;
  /** `/etc/hosts` entries, `name:ip`; not for a container joining another's namespace. */
  extraHosts?: string[];
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  /** Named volumes (`volume`, created with `ensureVolume` first) and host paths (`bind`). */
  mounts?: Mount[];
  healthcheck?: { test: string[]; intervalMs: number; timeoutMs: number; retries: number; startPeriodMs?: number };
}

export interface Mount {
  type: 'volume' | 'bind';
  /** Volume name, or an absolute host path. */
  source: string;
  target: string;
  readOnly?: boolean;
}

export interface ListFilter {
  /** `key` or `key=value` label filters, all of which must match. */
  labels?: string[];
  /** Include stopped containers. */
  all?: boolean;
}

export interface DockerPort {
  /** Resolves when the engine answers; rejects with code `unavailable` otherwise. */
  ping(): Promise<void>;
  info(): Promise<EngineInfo>;
  /** Inspected containers matching the filter (running only unless `all`). */
  listContainers(filter?: ListFilter): Promise<ContainerInfo[]>;
  /** Undefined when no such container exists. */
  inspect(id: string): Promise<ContainerInfo | undefined>;
  /**
   * Container events from now on. The iterator ends (or throws) when the stream drops; callers
   * reconnect and re-list. Aborting the signal ends it quietly.
   */
  events(signal: AbortSignal, hooks?: EventHooks): AsyncIterable<ContainerEvent>;
  /** Creates and starts a container; resolves with its id. */
  run(spec: ContainerSpec): Promise<string>;
  /**
   * Stops (the container's stop signal, then SIGKILL after `timeoutSec`, or after the container's
   * own stop timeout when left out); stopping a stopped container is fine.
   */
  stop(id: string, timeoutSec?: number): Promise<void>;
  /** Force-removes; removing a missing container is fine. */
  remove(id: string): Promise<void>;
  /** True when the image exists locally. */
  hasImage(ref: string): Promise<boolean>;
  /** Pulls an image (no-op when present); rejects with code `image_unavailable` on failure. */
  pullImage(ref: string): Promise<void>;
  /** Creates a local volume with these labels, or keeps the one of that name (never emptied). */
  ensureVolume(name: string, labels: Record<string, string>): Promise<void>;
  /** Removes a volume: `removed`, `missing`, or `in_use` (a container, even a stopped one, holds it). */
  removeVolume(name: string): Promise<'removed' | 'missing' | 'in_use'>;
  /**
   * The last `lines` lines of a container's output (stdout and stderr interleaved as written), for
   * saying why it exited; at most `maxBytes` (from the end). '' when it has none or is gone.
   */
  logTail(id: string, lines: number, maxBytes?: number): Promise<string>;
}

/** One piece of a container's output, as Docker's log stream carries it (not necessarily a whole line). */
export interface LogChunk {
  stream: 'stdout' | 'stderr';
  data: Buffer;
}

/** What `logs` asks Docker for (`docker logs --follow --tail N --since T --timestamps`). */
export interface LogOptions {
  /** Keep the stream open and send new output as it is written. */
  follow?: boolean;
  /** Only the last N lines (absent: all). */
  tail?: number;
  /** Only output written at or after this time, in seconds since the epoch (fractions allowed). */
  since?: number;
  /** Prefix every line with Docker's RFC 3339 timestamp. */
  timestamps?: boolean;
}

/**
 * Reading a container's output. Separate from DockerPort so the fakes that implement DockerPort
 * need not grow a method they never use; the dockerode adapter implements both.
 */
export interface ContainerLogs {
  /**
   * The container's output, demultiplexed into stdout and stderr (a TTY container's output is all
   * stdout). Resolves once Docker has answered (rejects with code `not_found` for an unknown
   * container), so a caller can still answer with an error status. Pulled: nothing is read from
   * Docker faster than the caller consumes it. Aborting the signal ends the iteration quietly.
   */
  logs(id: string, opts: LogOptions, signal: AbortSignal): Promise<AsyncIterable<LogChunk>>;
}

export type DockerErrorCode = 'unavailable' | 'not_found' | 'conflict' | 'image_unavailable' | 'failed';

export class DockerError extends Error {
  readonly code: DockerErrorCode;
  constructor(code: DockerErrorCode, message: string, options?: { cause?: unknown }) {
    super(`docker: ${message}`, options);
    this.name = 'DockerError';
    this.code = code;
  }
}
