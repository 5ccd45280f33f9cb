import type { SpecProblem } from './errors.js';
import { JOB_DEFAULTS } from './defaults.js';
import { parseDuration } from './duration.js';
import { ADDRESS_MODES } from './labels.js';
import { volumeProblems } from './volume-rules.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Per-container fields that move into `containers[i]` in a pod. */
const CONTAINER_FIELDS = [
  'image', 'command', 'env', 'ports', 'resources', 'volumes', 'entrypoint', 'user', 'workingDir',
  'stopSignal', 'stopGracePeriod', 'capAdd', 'capDrop', 'privileged',
] as const;

/**
 * Rules spanning several fields, checked on the raw document beside the schema (zod skips an object's
 * refinements when a field inside it has the wrong type, and every problem must be reported at once).
 * Each rule looks only at fields of the right type and leaves type errors to the schema.
 */
export function crossFieldProblems(doc: unknown): SpecProblem[] {
  if (!isObj(doc)) return [];
  const problems: SpecProblem[] = [];
  const bad = (path: string, message: string) => problems.push({ path, message });

  const pod = doc.containers !== undefined;
  if (pod) {
    for (const f of CONTAINER_FIELDS) if (doc[f] !== undefined) bad(f, 'not allowed beside containers: set it per container');
    if (Array.isArray(doc.containers)) {
      if (doc.containers.length === 0) bad('containers', 'expected at least one container');
      const seen = new Set<unknown>();
      doc.containers.forEach((c, i) => {
        if (!isObj(c) || typeof c.name !== 'string') return;
        if (seen.has(c.name)) bad(`containers[${i}].name`, `duplicate container name "${c.name}"`);
        seen.add(c.name);
      });
    }
  } else if (doc.image === undefined) {
    bad('image', 'required (or list containers)');
  }

  if (doc.global === true && doc.count !== undefined) bad('count', 'not allowed with global: true');

  const address = isObj(doc.labels) ? doc.labels['maestro.address'] : undefined;
  if (address !== undefined && !(ADDRESS_MODES as readonly unknown[]).includes(String(address).trim().toLowerCase())) {
    bad('labels.maestro.address', `expected ${ADDRESS_MODES.join(', ')}`);
  }

  portProblems(doc, pod, bad);
  volumeProblems(doc, pod, bad);

  const c = doc.constraints;
  if (isObj(c) && c.distinctHosts === true && typeof c.maxPerHost === 'number' && c.maxPerHost > 1) {
    bad('constraints.maxPerHost', 'conflicts with distinctHosts: true (at most 1 per host)');
  }
  if (isObj(c) && typeof c.colocateWith === 'string' && c.colocateWith === doc.name) {
    bad('constraints.colocateWith', 'a job cannot be co-located with itself');
  }

  const h = doc.health;
  if (isObj(h)) {
    const kinds = (h.http !== undefined ? 1 : 0) + (h.tcp === true ? 1 : 0) + (h.exec !== undefined ? 1 : 0);
    if (kinds !== 1) bad('health', 'expected exactly one of http, tcp: true or exec');
    const interval = parseDuration(h.interval);
    const timeout = parseDuration(h.timeout);
    if (interval !== undefined && interval <= 0) bad('health.interval', 'expected a positive duration');
    if (interval !== undefined && timeout !== undefined && timeout > interval) bad('health.timeout', 'must not exceed interval');
  }

  // As Nomad: a deadline no longer than minHealthy could fail a rollout that is merely waiting.
  const u = doc.update;
  if (isObj(u)) {
    const deadline = parseDuration(u.progressDeadline);
    const minHealthy = parseDuration(u.minHealthy) ?? JOB_DEFAULTS.update.minHealthyMs;
    if (deadline !== undefined && deadline > 0 && deadline <= minHealthy) bad('update.progressDeadline', 'must exceed minHealthy (or be 0 for none)');
  }
  const r = doc.reschedule;
  if (isObj(r)) {
    const delay = parseDuration(r.delay) ?? JOB_DEFAULTS.reschedule.delayMs;
    const max = parseDuration(r.maxDelay) ?? JOB_DEFAULTS.reschedule.maxDelayMs;
    if (parseDuration(r.delay) === 0) bad('reschedule.delay', 'expected a positive duration');
    else if (max < delay) bad('reschedule.maxDelay', 'must be at least delay');
  }
  return problems;
}

/** Port names are unique in a job (they name services); fixed host and proxy ports too. */
function portProblems(doc: Obj, pod: boolean, bad: (path: string, message: string) => void): void {
  const lists: { path: string; ports: unknown }[] = pod
    ? (Array.isArray(doc.containers) ? doc.containers : []).map((c, i) => ({
        path: `containers[${i}].ports`,
        ports: isObj(c) ? c.ports : undefined,
      }))
    : [{ path: 'ports', ports: doc.ports }];
  const names = new Set<string>();
  const hosts = new Set<string>();
  const proxies = new Set<number>();
  const containerPorts = new Set<string>();
  for (const { path, ports } of lists) {
    if (!Array.isArray(ports)) continue;
    ports.forEach((p, i) => {
      if (!isObj(p)) return;
      const at = `${path}[${i}]`;
      const protocol = p.protocol === 'udp' ? 'udp' : 'tcp';
      const name = typeof p.name === 'string' ? p.name : typeof p.container === 'number' ? String(p.container) : undefined;
      if (name !== undefined && names.has(name)) bad(`${at}.name`, `duplicate port name "${name}"`);
      if (name !== undefined) names.add(name);
      if (typeof p.container === 'number') {
        // Pod members share one network namespace, so two of them cannot listen on one port.
        const key = `${protocol}/${p.container}`;
        if (containerPorts.has(key)) bad(`${at}.container`, `duplicate container port ${key}`);
        containerPorts.add(key);
      }
      if (typeof p.host === 'number') {
        const key = `${protocol}/${p.host}`;
        if (hosts.has(key)) bad(`${at}.host`, `duplicate host port ${key}`);
        hosts.add(key);
      }
      if (typeof p.proxy === 'number') {
        if (proxies.has(p.proxy)) bad(`${at}.proxy`, `duplicate proxy port ${p.proxy}`);
        proxies.add(p.proxy);
      }
    });
  }
}
