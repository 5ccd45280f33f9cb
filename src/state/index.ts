/**
 * The cluster's shared state: the records every component reads and writes in the catalog's KV —
 * jobs and their versions, allocations (written by the scheduler), allocation statuses (written by
 * each host's agent), evaluations — their key layout and the `maestro.*` labels on containers. A
 * neutral module: the scheduler, agent, API and every catalog adapter import it, none of them owns it.
 * Everything here is plain JSON.
 *
 * The unit of placement is the *allocation*: one replica of a job on one host. A job that lists
 * several `containers` (a pod) still has one allocation per replica; the agent starts all of its
 * containers on that host, the first owning the network namespace, the others joining it.
 */

export interface Resources {
  /** Millicores. */
  cpu: number;
  /** MiB. */
  memory: number;
}

export interface JobPort {
  /** Port name; also the SRV/service suffix for the 2nd and later ports (`<job>-<name>`). */
  name: string;
  container: number;
  protocol: 'tcp' | 'udp';
  /** Fixed host port; absent means Docker picks a dynamic one. */
  host?: number;
  /** Host address the port is published on; absent means the host's advertise address. */
  hostIp?: string;
  /** Ask every host's L4 proxy to listen on this port for the service. */
  proxy?: number;
}

export interface JobContainer {
  name: string;
  image: string;
  command?: string[];
  env: Record<string, string>;
  /** Ports are published by the pod's first container, whose namespace every container shares. */
  ports: JobPort[];
  resources: Resources;
  /** Mounts, in spec order; absent when none (records stored before volumes existed lack it too). */
  volumes?: JobVolume[];
  /** Replaces the image's ENTRYPOINT (`command` then replaces its CMD). */
  entrypoint?: string[];
  /** `user`, `uid`, `user:group` or `uid:gid`, as `docker run --user`. */
  user?: string;
  /** Absolute path inside the container. */
  workingDir?: string;
  /** Normalised to `SIGTERM`-style names, or a signal number as text. */
  stopSignal?: string;
  /** Between the stop signal and SIGKILL; absent: the agent's default (10 s). */
  stopGracePeriodMs?: number;
  /** Capability names without `CAP_`, upper-case (`NET_ADMIN`, `ALL`); adding needs the agent's leave. */
  capAdd?: string[];
  capDrop?: string[];
  /** Only on agents started with `--allow-privileged`. */
  privileged?: boolean;
}

/**
 * A mount of one container. A *named* volume is per instance: `{ name: data }` in replica 2 of job
 * `redis` is the Docker volume `redis-2-data` on the replica's host, kept across restarts and new
 * versions (and the reason the replica is placed back on that host); members of a pod naming the
 * same volume share it. A *host* path is mounted as it is, and only under the agent's
 * `--allow-host-path` prefixes.
 */
export type JobVolume = NamedVolume | HostPathVolume;

export interface NamedVolume {
  name: string;
  /** Absolute path inside the container. */
  path: string;
  readOnly?: boolean;
}

export interface HostPathVolume {
  /** Absolute, normalised path on the host. */
  host: string;
  path: string;
  readOnly?: boolean;
}

export function isNamedVolume(v: JobVolume): v is NamedVolume {
  return 'name' in v;
}

/** `<job>-<ordinal>-<volume>`: the Docker volume holding one replica's data. */
export function volumeName(job: string, ordinal: number, volume: string): string {
  return `${job}-${ordinal}-${volume}`;
}

/** The distinct named volumes of a job (across a pod's members), in first-use order. */
export function namedVolumes(job: Job): string[] {
  const names = new Set<string>();
  for (const c of job.containers) for (const v of c.volumes ?? []) if (isNamedVolume(v)) names.add(v.name);
  return [...names];
}

export interface JobHealth {
  /** Run by the agent from the host: GET this path on the pod's first tcp port (2xx/3xx pass). */
  http?: string;
  /** Run by the agent from the host: a TCP connect to the pod's first tcp port. */
  tcp?: boolean;
  /** Run inside the first container as a Docker HEALTHCHECK (`CMD`, no shell): exit 0 passes. */
  exec?: string[];
  intervalMs: number;
  timeoutMs: number;
}

export interface JobConstraints {
  /** Host names or globs the job may run on (Helios deploy-to-host, fleet MachineID). */
  hosts?: string[];
  /** Every key must equal the host's metadata value. */
  hostMeta?: Record<string, string>;
  distinctHosts?: boolean;
  maxPerHost?: number;
  /** Only on hosts that run (an allocation of) this job. */
  colocateWith?: string;
  /** Never on a host that runs a job matching one of these globs. */
  conflictsWith?: string[];
}

/** A validated, normalised job: single-container specs become a one-element `containers`. */
export interface Job {
  name: string;
  /** Replica count; ignored when `global`. */
  count: number;
  global: boolean;
  containers: JobContainer[];
  tags: string[];
  labels: Record<string, string>;
  constraints: JobConstraints;
  /** `/etc/hosts` entries of the pod (name → IP); its members share the first container's. */
  extraHosts?: Record<string, string>;
  health?: JobHealth;
  /**
   * Rolling updates. `progressDeadlineMs` (0: none) fails a rollout that makes no progress for that
   * long; optional because records stored before it existed lack it (the reconciler's default applies).
   */
  update: { maxParallel: number; minHealthyMs: number; progressDeadlineMs?: number };
  strategy: 'spread' | 'binpack';
  /**
   * Back-off for replacing a replica that keeps failing (Nomad's `reschedule`): the n-th consecutive
   * failure waits `delayMs · 2^(n-2)`, at most `maxDelayMs` (the first is replaced at once). Optional
   * for the same reason as `update.progressDeadlineMs`.
   */
  reschedule?: Reschedule;
}

export interface Reschedule {
  delayMs: number;
  maxDelayMs: number;
}

/** A job as stored: the current spec with its version; old versions are kept beside it. */
export interface JobRecord {
  job: Job;
  /** Increases whenever what runs changes (image, command, env, ports, resources…); not on scale. */
  version: number;
  submittedAt: number;
  /** `stopped` jobs keep their record (history) but have no allocations. */
  stopped: boolean;
  /** How a version not submitted as a spec came to be: `restart`, `rollback to version N`. */
  note?: string;
}

export type AllocDesired = 'run' | 'stop';

export interface Allocation {
  /** Unique per placement: `<job>-<ordinal>-<random>`. */
  id: string;
  job: string;
  /** Stable replica number: the instance name `<job>-<ordinal>` survives replacement and moves. */
  ordinal: number;
  host: string;
  jobVersion: number;
  desired: AllocDesired;
  createdAt: number;
  /** Consecutive failures of this replica (job, ordinal) before this allocation, carried from the one it replaced. */
  previousFailures?: number;
  /** Set when the scheduler stops it as failed: consecutive failures including this one. */
  failures?: number;
  /**
   * Set with `failures`: when its replacement may be placed (reschedule back-off). The stopped
   * allocation is kept until then, as the record of the replica's failures.
   */
  rescheduleAt?: number;
}

export type AllocState = 'pending' | 'running' | 'failed' | 'stopped';

/** What the agent reports about an allocation it runs (written under its own host prefix). */
export interface AllocStatus {
  allocId: string;
  state: AllocState;
  /** Docker container ids, in `containers` order. */
  containerIds: string[];
  /** Healthy as Docker/the registrar sees it (HEALTHCHECK passing or none and running). */
  healthy: boolean;
  /** Since when `healthy` has been true (for rolling updates' minHealthy). */
  healthySince?: number;
  /** Why it is in its state, in a user's words (`exited with code 3: …`, `image pull failed: …`). */
  message?: string;
  updatedAt: number;
  /** The last result of the agent's health check (http/tcp), when the job has one. */
  check?: CheckResult;
  /** What happened to it, oldest first; the last `ALLOC_EVENTS_KEPT` only. Absent in older records. */
  events?: AllocEvent[];
}

/** The agent keeps this many events per allocation status (Nomad keeps 10 task events). */
export const ALLOC_EVENTS_KEPT = 10;

export type AllocEventType =
  | 'started'
  | 'healthy'
  | 'unhealthy'
  | 'image-pull-failed'
  | 'start-failed'
  | 'exited'
  | 'oom-killed'
  | 'spec-missing'
  | 'stopped';

export interface AllocEvent {
  /** Epoch ms. */
  at: number;
  type: AllocEventType;
  message: string;
}

export type CheckStatus = 'passing' | 'warning' | 'critical';

/** One health check's state as the agent last saw it (Consul's check output, the kubelet's probe result). */
export interface CheckResult {
  /** `warning` until the first probe passes; `critical` after consecutive failures. */
  status: CheckStatus;
  /** `HTTP 200 OK`, `HTTP 500 Internal Server Error: <body start>`, `connect ECONNREFUSED …`, `timed out after 2s`. */
  output: string;
  /** When the last probe ended (epoch ms) and how long it took. */
  at: number;
  durationMs: number;
  /** Consecutive failed probes (0 after a pass). */
  failures: number;
}

/** Why replicas could not be placed, for `maestro status`. */
export interface PlacementFailure {
  job: string;
  unplaced: number;
  wanted: number;
  /** Hosts filtered per checker, e.g. { 'hostMeta disk=ssd': 4 }. */
  filtered: Record<string, number>;
  /** Hosts exhausted per resource dimension, e.g. { memory: 1 }. */
  exhausted: Record<string, number>;
  message: string;
}

/** The result of one evaluation of a job, stored for status. */
export interface Evaluation {
  job: string;
  at: number;
  jobVersion: number;
  placed: number;
  stopped: number;
  failures: PlacementFailure[];
  rollout?: { state: 'running' | 'complete' | 'failed'; message?: string };
  /** Replicas whose replacement is held back by the reschedule back-off (absent when none). */
  delayed?: DelayedReplica[];
  /**
   * Replicas whose named volumes stayed behind on a host they were moved off (down past the grace
   * period): `redis-1 moved to h2; its volumes (data) stay behind on h1`. Absent when none.
   */
  volumesLeftBehind?: string[];
}

/**
 * Where a replica's named volumes live (`keys.volumeHome`): written by the scheduler with the
 * replica's placement, kept when the job stops or scales down (the data is still there), deleted
 * only when the volumes are removed on request. The scheduler places the replica back on `host`
 * while that host is alive or within its grace period.
 */
export interface VolumeHome {
  host: string;
  /** Named volumes of the replica (`<job>-<ordinal>-<name>` on `host`). */
  volumes: string[];
  /** When the replica was placed on `host` with them. */
  at: number;
  /** Hosts the replica was moved off, whose copies of its volumes stay there (newest last). */
  leftBehind?: { host: string; volumes: string[]; at: number }[];
}

/** A crash-looping replica waiting out its back-off before being placed again. */
export interface DelayedReplica {
  /** `<job>-<ordinal>`. */
  instance: string;
  ordinal: number;
  /** Consecutive failures so far. */
  failures: number;
  rescheduleAt: number;
  /** E.g. `web-1 crash-looping: next attempt in 8s (5 failures)`; the delay is the whole back-off, not a countdown. */
  message: string;
}

/** KV layout, in one place. The agent of host H watches only `allocPrefix(H)`. */
export const keys = {
  job: (name: string) => `maestro/jobs/${name}`,
  jobPrefix: 'maestro/jobs/',
  jobVersion: (name: string, version: number) => `maestro/job-versions/${name}/${String(version).padStart(8, '0')}`,
  jobVersionPrefix: (name: string) => `maestro/job-versions/${name}/`,
  alloc: (host: string, id: string) => `maestro/allocs/${host}/${id}`,
  allocPrefix: (host: string) => `maestro/allocs/${host}/`,
  allocsPrefix: 'maestro/allocs/',
  allocStatus: (host: string, id: string) => `maestro/alloc-status/${host}/${id}`,
  allocStatusPrefix: (host: string) => `maestro/alloc-status/${host}/`,
  allocStatusesPrefix: 'maestro/alloc-status/',
  evaluation: (job: string) => `maestro/evals/${job}`,
  evaluationPrefix: 'maestro/evals/',
  leaderLock: 'maestro/scheduler/leader',
  /**
   * Which allocation holds replica `<job>-<ordinal>`: the scheduler writes it with CAS before the
   * allocation itself, so two leaders racing for one replica cannot both place it.
   */
  allocClaim: (job: string, ordinal: number) => `maestro/alloc-claims/${job}/${ordinal}`,
  allocClaimsPrefix: 'maestro/alloc-claims/',
  /** Which host holds the named volumes of replica `<job>-<ordinal>` (a VolumeHome). */
  volumeHome: (job: string, ordinal: number) => `maestro/volume-homes/${job}/${ordinal}`,
  volumeHomePrefix: (job: string) => `maestro/volume-homes/${job}/`,
  volumeHomesPrefix: 'maestro/volume-homes/',
} as const;

/** Labels the agent puts on every container it creates (README.md, "Job spec"). */
export const LABELS = {
  job: 'maestro.job',
  alloc: 'maestro.alloc',
  service: 'maestro.service',
  instance: 'maestro.instance',
  /** The host whose agent owns the container, so agents (and registrars) sharing a daemon keep apart. */
  host: 'maestro.host',
} as const;

export function instanceName(job: string, ordinal: number): string {
  return `${job}-${ordinal}`;
}
