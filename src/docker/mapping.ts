/**
 * Pure translations between Docker's API shapes and the Docker port's types: inspect output →
 * ContainerInfo, event lines → ContainerEvent, ContainerSpec → create body, IPAM → bridge gateway.
 * Kept apart from the adapter so they are tested with plain data.
 */
import type Docker from 'dockerode';
import type { ContainerEvent, ContainerHealth, ContainerInfo, ContainerSpec, PortBinding } from './types.js';

export interface IpamConfig {
  Subnet?: string;
  Gateway?: string;
}

/**
 * The default bridge's gateway. Docker lists it only when set explicitly (`--bip`); otherwise it
 * is the subnet's first address (172.17.0.1 for 172.17.0.0/16), which is what Docker assigns.
 */
export function bridgeGateway(configs: IpamConfig[]): string | undefined {
  const explicit = configs.find((c) => c.Gateway && !c.Gateway.includes(':'))?.Gateway;
  if (explicit) return explicit.split('/')[0];
  const subnet = configs.find((c) => c.Subnet && /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(c.Subnet))?.Subnet;
  if (!subnet) return undefined;
  const [base, bits] = subnet.split('/') as [string, string];
  const n = base.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const mask = Number(bits) === 0 ? 0 : (0xffffffff << (32 - Number(bits))) >>> 0;
  const first = ((n & mask) >>> 0) + 1;
  return [24, 16, 8, 0].map((shift) => (first >>> shift) & 255).join('.');
}

export function parseEvent(line: string): ContainerEvent | undefined {
  try {
    const raw = JSON.parse(line) as {
      Type?: string;
      Action?: string;
      status?: string;
      id?: string;
      timeNano?: number;
      time?: number;
      Actor?: { ID?: string; Attributes?: Record<string, string> };
    };
    if (raw.Type && raw.Type !== 'container') return undefined;
    const id = raw.Actor?.ID ?? raw.id;
    const action = raw.Action ?? raw.status;
    if (!id || !action) return undefined;
    const time = raw.timeNano ? Math.floor(raw.timeNano / 1e6) : (raw.time ?? 0) * 1000;
    return { action, id, time, attributes: raw.Actor?.Attributes ?? {} };
  } catch {
    return undefined; // a torn line is not worth dying for; the next reconcile catches up
  }
}

/** Maps `docker inspect` output to the port's ContainerInfo (exported for pure tests). */
export function toContainerInfo(raw: Docker.ContainerInspectInfo): ContainerInfo {
  const env: Record<string, string> = {};
  for (const entry of raw.Config?.Env ?? []) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  const ports: PortBinding[] = [];
  const published = raw.NetworkSettings?.Ports ?? {};
  const seen = new Set<string>();
  for (const [key, bindings] of Object.entries(published)) {
    const [portText, proto] = key.split('/');
    const containerPort = Number(portText);
    const protocol = proto === 'udp' ? 'udp' : 'tcp';
    seen.add(key);
    if (!bindings || bindings.length === 0) {
      ports.push({ containerPort, protocol });
      continue;
    }
    for (const b of bindings) {
      // Docker lists a binding for 0.0.0.0 and for :: with the same host port; one instance is enough.
      if (b.HostIp === '::' && bindings.some((o) => o.HostIp === '0.0.0.0' && o.HostPort === b.HostPort)) continue;
      ports.push({ containerPort, protocol, hostIp: b.HostIp ?? '', hostPort: Number(b.HostPort) });
    }
  }
  for (const key of Object.keys(raw.Config?.ExposedPorts ?? {})) {
    if (seen.has(key)) continue;
    const [portText, proto] = key.split('/');
    ports.push({ containerPort: Number(portText), protocol: proto === 'udp' ? 'udp' : 'tcp' });
  }
  const networks = Object.values(raw.NetworkSettings?.Networks ?? {});
  const legacyIp = (raw.NetworkSettings as { IPAddress?: string } | undefined)?.IPAddress;
  const ipAddress = legacyIp || networks.find((n) => n.IPAddress)?.IPAddress || '';
  const healthStatus = raw.State?.Health?.Status;
  const health: ContainerHealth | undefined =
    healthStatus === 'healthy' || healthStatus === 'unhealthy' || healthStatus === 'starting' ? healthStatus : undefined;
  return {
    id: raw.Id,
    name: raw.Name.replace(/^\//, ''),
    image: raw.Config?.Image ?? '',
    labels: raw.Config?.Labels ?? {},
    env,
    running: raw.State?.Running === true,
    paused: raw.State?.Paused === true,
    health,
    ports,
    ipAddress,
    networkMode: raw.HostConfig?.NetworkMode ?? 'default',
    exitCode: raw.State?.Running ? undefined : raw.State?.ExitCode,
    startedAt: raw.State?.StartedAt,
    ...lastRun(raw.State),
  };
}

export function createBody(spec: ContainerSpec): Docker.ContainerCreateOptions {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, Array<{ HostPort: string; HostIp?: string }>> = {};
  const joinsNamespace = spec.networkMode?.startsWith('container:') ?? false;
  for (const p of spec.ports ?? []) {
    const key = `${p.containerPort}/${p.protocol ?? 'tcp'}`;
    exposed[key] = {};
    // A container joining another's namespace cannot publish: the owner publishes for the pod.
    if (!joinsNamespace) {
      (bindings[key] ??= []).push({ HostPort: p.hostPort ? String(p.hostPort) : '', HostIp: p.hostIp ?? '' });
    }
  }
  const hc = spec.healthcheck;
  return {
    name: spec.name,
    Image: spec.image,
    Cmd: spec.command,
    Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
    Labels: spec.labels ?? {},
    ExposedPorts: exposed,
    ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
    ...(spec.user !== undefined ? { User: spec.user } : {}),
    ...(spec.workingDir !== undefined ? { WorkingDir: spec.workingDir } : {}),
    ...(spec.stopSignal !== undefined ? { StopSignal: spec.stopSignal } : {}),
    ...(spec.stopTimeoutSec !== undefined ? { StopTimeout: spec.stopTimeoutSec } : {}),
    Healthcheck: hc
      ? {
          Test: hc.test,
          Interval: hc.intervalMs * 1e6,
          Timeout: hc.timeoutMs * 1e6,
          Retries: hc.retries,
          StartPeriod: (hc.startPeriodMs ?? 0) * 1e6,
        }
      : undefined,
    HostConfig: {
      NetworkMode: spec.networkMode ?? 'bridge',
      PortBindings: bindings,
      // CPU is a scheduling request, not a cap (as Nomad and Kubernetes requests do): relative
      // shares, 1024 per core. A hard NanoCpus quota at the request would starve small jobs.
      CpuShares: spec.cpu ? Math.max(2, Math.round((spec.cpu * 1024) / 1000)) : undefined,
      Memory: spec.memory ? spec.memory * 1024 * 1024 : undefined,
      Dns: spec.dns && !joinsNamespace ? spec.dns : undefined,
      DnsSearch: spec.dnsSearch && !joinsNamespace ? spec.dnsSearch : undefined,
      RestartPolicy: { Name: spec.restartPolicy ?? 'no' },
      // Docker refuses extra hosts with a joined namespace: members share the owner's /etc/hosts.
      ...(spec.extraHosts?.length && !joinsNamespace ? { ExtraHosts: spec.extraHosts } : {}),
      ...(spec.capAdd?.length ? { CapAdd: spec.capAdd } : {}),
      ...(spec.capDrop?.length ? { CapDrop: spec.capDrop } : {}),
      ...(spec.privileged ? { Privileged: true } : {}),
      ...(spec.mounts?.length
        ? { Mounts: spec.mounts.map((m) => ({ Type: m.type, Source: m.source, Target: m.target, ReadOnly: m.readOnly === true })) }
        : {}),
    },
  };
}

/** What the last run left behind: end time, OOM kill, Docker's start error, the last health check's output. */
function lastRun(state: Docker.ContainerInspectInfo['State'] | undefined): Pick<ContainerInfo, 'finishedAt' | 'oomKilled' | 'error' | 'healthOutput'> {
  const out: Pick<ContainerInfo, 'finishedAt' | 'oomKilled' | 'error' | 'healthOutput'> = {};
  if (!state) return out;
  if (state.FinishedAt) out.finishedAt = state.FinishedAt;
  if (state.OOMKilled) out.oomKilled = true;
  if (state.Error) out.error = state.Error;
  const log = (state.Health as { Log?: Array<{ Output?: string }> } | undefined)?.Log;
  const output = log?.[log.length - 1]?.Output?.trim();
  if (output) out.healthOutput = output.slice(-500);
  return out;
}
