/**
 * Pure: one allocation of a job → the Docker container specs of its pod. The first container owns the
 * network namespace, publishes every port of the pod and carries the service labels; the others join
 * its namespace (`container:<id>`, filled in by the executor once the first exists) and are ignored by
 * the registrar, so a pod registers once per port, under the job's name.
 */
import { createHash } from 'node:crypto';
import type { ServiceInstance } from '../catalog/types.js';
import type { ContainerSpec } from '../docker/types.js';
import { instanceName, isNamedVolume, volumeName, type Allocation, type Job, type JobContainer, type JobHealth, type JobPort } from '../state/index.js';
import { isActingMaestroLabel } from '../scheduler/spec/labels.js';
import { AGENT_LABELS, portNameLabel, portProxyLabel } from './labels.js';
import type { ContainerPolicy } from './policy.js';

export interface PodContext {
  host: string;
  /** Where containers reach this host's L4 proxy (e.g. the docker0 address 172.17.0.1). */
  proxyHost: string;
  /** Service name → L4 proxy port, for `<SVC>_SERVICE_HOST/PORT`. */
  proxied: ReadonlyMap<string, number>;
  /** Resolvers for the pod (the cluster DNS server), when configured. */
  dns?: string[];
  /** Search domains that come with `dns` (`service.<zone>`, so a bare `redis` resolves). */
  dnsSearch?: string[];
  /**
   * Where ports are published unless a job port names its `hostIp`: the host's advertise address,
   * where they are registered, rather than every interface. Undefined: every interface.
   */
  publishIp?: string;
  /** What this agent lets jobs do to its host (mounts.ts checks it before the pod starts). */
  policy?: ContainerPolicy;
  /** Spec host path → the real path to mount, as `preparePod` (mounts.ts) checked and resolved it. */
  hostPaths?: ReadonlyMap<string, string>;
  /** Stop grace of containers whose job sets none (the agent's --stop-timeout; Docker's 10 s when unset). */
  stopTimeoutSec?: number;
}

export interface PodPort {
  /** The service the registrar registers this port under. */
  service: string;
  port: JobPort;
}

/**
 * Every port of the pod in spec order (container by container). The first is the job's own service
 * (`redis`), later ones are `<job>-<portname>` (`redis-metrics`), matching the SRV convention.
 */
export function podPorts(job: Job): PodPort[] {
  const ports = job.containers.flatMap((c) => c.ports);
  return ports.map((port, i) => ({ service: i === 0 ? job.name : `${job.name}-${port.name}`, port }));
}

/**
 * `<job>-<ordinal>-<hash8>[-<member>]`: readable in `docker ps`, and unique even when two agents
 * share one daemon, because the hash covers the host as well as the allocation id.
 */
export function containerName(job: string, ordinal: number, allocId: string, host: string, member?: string): string {
  const short = createHash('sha256').update(`${host}/${allocId}`).digest('hex').slice(0, 8);
  const name = `${job}-${ordinal}-${short}${member ? `-${member}` : ''}`;
  return name.replace(/[^a-zA-Z0-9_.-]/g, '-').replace(/^[^a-zA-Z0-9]+/, 'x');
}

/** `redis-cache` → `REDIS_CACHE` (Kubernetes' service environment convention). */
export function envPrefix(service: string): string {
  return service.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}

export function serviceEnv(proxied: ReadonlyMap<string, number>, proxyHost: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [service, port] of [...proxied].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    env[`${envPrefix(service)}_SERVICE_HOST`] = proxyHost;
    env[`${envPrefix(service)}_SERVICE_PORT`] = String(port);
  }
  return env;
}

/**
 * Services that have an L4 proxy port: from job specs (known before any instance runs, so a job can
 * start before its dependency) and from registered instances' `meta.proxy_port` (services started
 * outside the scheduler with a `maestro.port.<p>.proxy` label).
 */
export function proxiedServices(jobs: Iterable<Job>, instances: Iterable<ServiceInstance>): Map<string, number> {
  const out = new Map<string, number>();
  for (const i of instances) {
    const port = Number(i.meta.proxy_port);
    if (Number.isInteger(port) && port > 0 && port < 65536) out.set(i.service, port);
  }
  for (const job of jobs) {
    for (const { service, port } of podPorts(job)) if (port.proxy) out.set(service, port.proxy);
  }
  return out;
}

/**
 * Job health → Docker HEALTHCHECK: only for `exec`, a command run inside the pod's first container
 * (`CMD`, no shell: the image needs only the command itself). http and tcp checks are the agent's,
 * run from the host (src/agent/checks/), so they need nothing in the image; without a `health` the
 * image's own HEALTHCHECK, if it has one, stays in force.
 */
export function healthcheckFor(health: JobHealth | undefined): ContainerSpec['healthcheck'] {
  if (!health?.exec?.length) return undefined;
  return { test: ['CMD', ...health.exec], intervalMs: health.intervalMs, timeoutMs: health.timeoutMs, retries: 3 };
}

/** The pod's container specs, in `job.containers` order. Members after the first lack `networkMode`. */
export function podSpecs(job: Job, alloc: Allocation, ctx: PodContext): ContainerSpec[] {
  const ports = podPorts(job);
  const isPod = job.containers.length > 1;
  const instance = instanceName(job.name, alloc.ordinal);
  const common: Record<string, string> = {
    ...ownLabels(job.labels),
    [AGENT_LABELS.job]: job.name,
    [AGENT_LABELS.alloc]: alloc.id,
    [AGENT_LABELS.host]: ctx.host,
    [AGENT_LABELS.version]: String(alloc.jobVersion),
  };
  const injected = {
    ...serviceEnv(ctx.proxied, ctx.proxyHost),
    MAESTRO_JOB: job.name,
    MAESTRO_INSTANCE: instance,
    MAESTRO_ORDINAL: String(alloc.ordinal),
    MAESTRO_ALLOC_ID: alloc.id,
    MAESTRO_HOST: ctx.host,
  };
  return job.containers.map((c, i): ContainerSpec => {
    const labels: Record<string, string> = { ...common, [AGENT_LABELS.member]: c.name };
    if (i === 0) {
      labels[AGENT_LABELS.service] = job.name;
      labels[AGENT_LABELS.instance] = instance;
      if (job.tags.length) labels[AGENT_LABELS.tags] = job.tags.join(',');
      for (const { service, port } of ports) {
        labels[portNameLabel(port.container)] = service;
        if (port.proxy) labels[portProxyLabel(port.container)] = String(port.proxy);
      }
    } else {
      labels[AGENT_LABELS.ignore] = 'true';
    }
    const spec: ContainerSpec = {
      name: containerName(job.name, alloc.ordinal, alloc.id, ctx.host, isPod ? c.name : undefined),
      image: c.image,
      command: c.command,
      // The job's own env wins over injected values, as in Kubernetes.
      env: { ...injected, ...c.env },
      labels,
      cpu: c.resources.cpu || undefined,
      memory: c.resources.memory || undefined,
      // Failures are the scheduler's to handle (replace, keeping the ordinal); see README.
      restartPolicy: 'no',
      ...containerOptions(c, job, alloc.ordinal, ctx),
    };
    // /etc/hosts belongs to the namespace owner; members share it.
    if (i === 0 && job.extraHosts) spec.extraHosts = Object.entries(job.extraHosts).map(([name, ip]) => `${name}:${ip}`);
    if (i === 0) {
      spec.ports = ports.map(({ port }) => {
        const hostIp = port.hostIp ?? ctx.publishIp;
        return { containerPort: port.container, protocol: port.protocol, hostPort: port.host, ...(hostIp ? { hostIp } : {}) };
      });
      spec.healthcheck = healthcheckFor(job.health);
      // Members join the first container's namespace, and with it its resolv.conf.
      if (ctx.dns?.length) {
        spec.dns = ctx.dns;
        if (ctx.dnsSearch?.length) spec.dnsSearch = ctx.dnsSearch;
      }
    }
    return spec;
  });
}

/**
 * The spec's per-container fields as Docker takes them. A named volume is `<job>-<ordinal>-<name>`
 * (created beforehand by preparePod); a host path mounts its resolved real path. The stop timeout is
 * kept on the container, so a stop without one (the executor's) honours the job's grace period.
 */
export function containerOptions(c: JobContainer, job: Job, ordinal: number, ctx: PodContext): Partial<ContainerSpec> {
  const out: Partial<ContainerSpec> = {};
  if (c.entrypoint) out.entrypoint = c.entrypoint;
  if (c.user !== undefined) out.user = c.user;
  if (c.workingDir !== undefined) out.workingDir = c.workingDir;
  if (c.stopSignal !== undefined) out.stopSignal = c.stopSignal;
  const graceSec = c.stopGracePeriodMs !== undefined ? Math.ceil(c.stopGracePeriodMs / 1000) : ctx.stopTimeoutSec;
  if (graceSec !== undefined) out.stopTimeoutSec = graceSec;
  if (c.capAdd?.length) out.capAdd = c.capAdd;
  if (c.capDrop?.length) out.capDrop = c.capDrop;
  if (c.privileged) out.privileged = true;
  if (c.volumes?.length) {
    out.mounts = c.volumes.map((v) => ({
      type: isNamedVolume(v) ? 'volume' : 'bind',
      source: isNamedVolume(v) ? volumeName(job.name, ordinal, v.name) : (ctx.hostPaths?.get(v.host) ?? v.host),
      target: v.path,
      ...(v.readOnly ? { readOnly: true } : {}),
    }));
  }
  return out;
}

/**
 * The job's labels without the `maestro.*` keys the agent or registrar act on: the spec refuses
 * them, and jobs stored before it did must not name another service or instance either.
 */
function ownLabels(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).filter(([k]) => !isActingMaestroLabel(k)));
}
