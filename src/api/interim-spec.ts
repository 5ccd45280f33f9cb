/**
 * INTERIM: a minimal job-spec parser standing in for src/scheduler/spec's `parseJobSpec` until it
 * lands; cluster.ts is the only user. Same contract: YAML or JSON text in, a normalised Job out, or
 * a SpecError (code `invalid_spec`) listing every problem with its path.
 */
import { parse as parseYaml } from 'yaml';
import type { Job, JobContainer, JobPort } from '../scheduler/types.js';

export interface SpecProblem {
  path: string;
  message: string;
}

export class SpecError extends Error {
  readonly code = 'invalid_spec';
  constructor(readonly problems: SpecProblem[]) {
    super(`invalid job spec: ${problems.map((p) => `${p.path || '(root)'}: ${p.message}`).join('; ')}`);
    this.name = 'SpecError';
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseJobSpec(text: string): Job {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new SpecError([{ path: '', message: `not YAML or JSON: ${(err as Error).message}` }]);
  }
  const problems: SpecProblem[] = [];
  const bad = (path: string, message: string): void => void problems.push({ path, message });
  if (!isObj(doc)) throw new SpecError([{ path: '', message: 'expected a mapping' }]);
  const name = doc.name;
  if (typeof name !== 'string' || !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(name)) {
    bad('name', 'required: a DNS label (lower-case letters, digits, "-")');
  }
  const count = doc.count ?? 1;
  if (!Number.isInteger(count) || (count as number) < 0) bad('count', 'expected an integer >= 0');
  const containers: JobContainer[] = [];
  const container = (c: Obj, path: string, fallbackName: string): void => {
    if (typeof c.image !== 'string' || c.image === '') bad(`${path}image`, 'required: an image reference');
    const ports: JobPort[] = [];
    const list = c.ports ?? [];
    if (!Array.isArray(list)) bad(`${path}ports`, 'expected a list');
    else
      list.forEach((p, i) => {
        if (!isObj(p) || !Number.isInteger(p.container)) return bad(`${path}ports[${i}].container`, 'required: a port number');
        ports.push({
          name: typeof p.name === 'string' ? p.name : `p${p.container}`,
          container: p.container as number,
          protocol: p.protocol === 'udp' ? 'udp' : 'tcp',
          ...(Number.isInteger(p.host) ? { host: p.host as number } : {}),
          ...(Number.isInteger(p.proxy) ? { proxy: p.proxy as number } : {}),
        });
      });
    const res = isObj(c.resources) ? c.resources : {};
    containers.push({
      name: typeof c.name === 'string' ? c.name : fallbackName,
      image: String(c.image ?? ''),
      ...(Array.isArray(c.command) ? { command: c.command.map(String) } : {}),
      env: isObj(c.env) ? Object.fromEntries(Object.entries(c.env).map(([k, v]) => [k, String(v)])) : {},
      ports,
      resources: { cpu: Number(res.cpu ?? 100), memory: Number(res.memory ?? 64) },
    });
  };
  if (Array.isArray(doc.containers)) doc.containers.forEach((c, i) => container(isObj(c) ? c : {}, `containers[${i}].`, `c${i}`));
  else container(doc, '', String(name));
  const labels = doc.labels ?? {};
  if (!isObj(labels) || Object.values(labels).some((v) => typeof v !== 'string')) bad('labels', 'expected a mapping of strings');
  if (problems.length > 0) throw new SpecError(problems);
  return {
    name: name as string,
    count: count as number,
    global: doc.global === true,
    containers,
    tags: Array.isArray(doc.tags) ? doc.tags.map(String) : [],
    labels: labels as Record<string, string>,
    constraints: isObj(doc.constraints) ? (doc.constraints as Job['constraints']) : {},
    update: { maxParallel: 1, minHealthyMs: 0 },
    strategy: doc.strategy === 'binpack' ? 'binpack' : 'spread',
  };
}
