/**
 * The pure part of the agent's health checks (Consul's and the kubelet's HTTP/TCP checks, run from
 * the host): which check each allocation gets and where it is aimed, and how probe outcomes become a
 * verdict. No I/O and no clock of its own, so thresholds and targeting are table tests.
 */
import type { ContainerInfo } from '../../docker/types.js';
import type { CheckResult, Job, JobHealth } from '../../state/index.js';
import { AGENT_LABELS } from '../labels.js';
import { podPorts } from '../pod.js';

/** Consecutive failed probes that turn a check critical (the kubelet's failureThreshold, Docker's retries). */
export const FAILURES_BEFORE_CRITICAL = 3;

export interface CheckSpec {
  kind: 'http' | 'tcp';
  /** For http: the request path (`/health`). */
  path?: string;
  intervalMs: number;
  timeoutMs: number;
}

/** Where a probe goes: the container's own address on its network, or a published port on the host. */
export interface ProbeAddress {
  host: string;
  port: number;
}

export interface CheckTarget {
  allocId: string;
  /** The container whose address is probed (the pod's first: it owns the network namespace). */
  containerId: string;
  spec: CheckSpec;
  address: ProbeAddress;
}

export interface ProbeOutcome {
  ok: boolean;
  output: string;
  /** When the probe ended, and how long it took. */
  at: number;
  durationMs: number;
}

/** The agent's check for a job's `health`: http and tcp are the agent's; `exec` is Docker's HEALTHCHECK. */
export function checkSpecOf(health: JobHealth | undefined): CheckSpec | undefined {
  if (!health) return undefined;
  const timing = { intervalMs: health.intervalMs, timeoutMs: health.timeoutMs };
  if (health.http !== undefined) return { kind: 'http', path: health.http.startsWith('/') ? health.http : `/${health.http}`, ...timing };
  if (health.tcp) return { kind: 'tcp', ...timing };
  return undefined;
}

/**
 * The address a check of `port` reaches the container at, from the host: its IP on its network (the
 * host is on the bridge, and no port needs publishing), else a published binding of that port (a
 * wildcard binding is reached on loopback). Undefined when neither exists.
 */
export function probeAddress(c: ContainerInfo, port: number): ProbeAddress | undefined {
  if (c.ipAddress) return { host: c.ipAddress, port };
  const b = c.ports.find((p) => p.containerPort === port && p.protocol === 'tcp' && p.hostPort);
  if (!b?.hostPort) return undefined;
  const ip = b.hostIp ?? '';
  const host = ip === '' || ip === '0.0.0.0' ? '127.0.0.1' : ip === '::' ? '::1' : ip;
  return { host, port: b.hostPort };
}

/**
 * The checks to run: one per allocation whose job has an http/tcp check, whose pod's first container
 * runs and can be reached. The pod's first tcp port is checked (the same port its service names).
 */
export function checkTargets(allocs: Iterable<{ allocId: string; job?: Job }>, containers: readonly ContainerInfo[]): CheckTarget[] {
  const out: CheckTarget[] = [];
  for (const { allocId, job } of allocs) {
    const spec = checkSpecOf(job?.health);
    if (!job || !spec) continue;
    const port = podPorts(job).find((p) => p.port.protocol === 'tcp')?.port.container;
    const first = job.containers[0]?.name;
    const c = containers.find((x) => x.running && x.labels[AGENT_LABELS.alloc] === allocId && (x.labels[AGENT_LABELS.member] ?? first) === first);
    if (port === undefined || !c) continue;
    const address = probeAddress(c, port);
    if (address) out.push({ allocId, containerId: c.id, spec, address });
  }
  return out;
}

/** Two targets probe the same thing the same way (else the check starts over). */
export function sameTarget(a: CheckTarget, b: CheckTarget): boolean {
  return (
    a.containerId === b.containerId &&
    a.address.host === b.address.host &&
    a.address.port === b.address.port &&
    a.spec.kind === b.spec.kind &&
    a.spec.path === b.spec.path &&
    a.spec.intervalMs === b.spec.intervalMs &&
    a.spec.timeoutMs === b.spec.timeoutMs
  );
}

/**
 * Before the first probe: `warning` (not served, as Docker's `starting`), unless the last reported
 * result is for this same container — an agent restart keeps a passing replica in DNS meanwhile.
 */
export function initialResult(previous: CheckResult | undefined, sameContainer: boolean, now: number): CheckResult {
  if (previous && sameContainer) return previous;
  return { status: 'warning', output: 'no probe yet', at: now, durationMs: 0, failures: 0 };
}

/**
 * One probe's outcome applied: a pass is `passing` at once (the kubelet's successThreshold of 1);
 * failures turn it `critical` after FAILURES_BEFORE_CRITICAL in a row, and leave it as it was until
 * then (a passing replica survives one lost probe; a starting one stays `warning`).
 */
export function applyOutcome(prev: CheckResult, o: ProbeOutcome): CheckResult {
  if (o.ok) return { status: 'passing', output: o.output, at: o.at, durationMs: o.durationMs, failures: 0 };
  const failures = prev.failures + 1;
  const status = failures >= FAILURES_BEFORE_CRITICAL ? 'critical' : prev.status;
  return { status, output: o.output, at: o.at, durationMs: o.durationMs, failures };
}

/** A change worth reporting: the verdict, or what the check says (not its timing). */
export function sameVerdict(a: CheckResult | undefined, b: CheckResult): boolean {
  return a !== undefined && a.status === b.status && a.output === b.output;
}
