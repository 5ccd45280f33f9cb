import { Composer, LineCounter, Parser, type CST, type YAMLError } from 'yaml';
import type { ZodIssue } from 'zod';
import type { Job, JobConstraints, JobContainer, JobHealth } from '../types.js';
import { JOB_DEFAULTS } from './defaults.js';
import { SpecError, type SpecProblem } from './errors.js';
import { cstProblems, textProblems, tokenProblems, valueProblems } from './limits.js';
import { crossFieldProblems } from './rules.js';
import { jobSchema, type RawContainer, type RawJob } from './schema.js';

export { JOB_DEFAULTS };

/**
 * Parses a YAML or JSON job spec (JSON is YAML) into a validated, normalised Job. The size and shape
 * limits (`SPEC_LIMITS`) are checked on the text, on yaml's tokens and on its syntax tree before the
 * document is composed, each step only when the cheaper one before passed: yaml's costs grow faster
 * than the input in its parser (deep nesting) and composer (aliases, duplicate-key checks).
 */
export function parseJobSpec(text: string): Job {
  const tooBig = textProblems(text);
  if (tooBig.length) throw new SpecError(tooBig);
  const tokens = tokenProblems(text);
  if (tokens.length) throw new SpecError(tokens);
  const lines = new LineCounter();
  const tree: CST.Token[] = [...new Parser(lines.addNewLine).parse(text)];
  const shape = cstProblems(tree);
  if (shape.length) throw new SpecError(shape);
  const docs = [...new Composer({ uniqueKeys: true }).compose(tree, true, text.length)];
  const doc = docs[0]!;
  const error: YAMLError | undefined = doc.errors[0] ?? (docs.length > 1 ? docs[1]!.errors[0] : undefined);
  if (error || docs.length > 1) {
    const at = error ? lines.linePos(error.pos[0]) : undefined;
    const what = error ? error.message.split('\n')[0] : 'more than one document (---)';
    throw new SpecError([{ path: '', message: `not valid YAML or JSON: ${what}${at ? ` at line ${at.line}, column ${at.col}` : ''}` }]);
  }
  let value: unknown;
  try {
    // yaml's own guard against "billion laughs" (alias uses × aliases inside the anchored node),
    // at its default, stated here so it never silently changes.
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new SpecError([{ path: '', message: `not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}` }]);
  }
  return validateJob(value);
}

/** Validates an already-parsed document (e.g. a JSON request body); throws SpecError listing every problem. */
export function validateJob(doc: unknown): Job {
  const shape = valueProblems(doc);
  if (shape.length) throw new SpecError(shape);
  const result = jobSchema.safeParse(doc);
  const problems = dedupe([...(result.success ? [] : result.error.issues.flatMap(toProblems)), ...crossFieldProblems(doc)]);
  if (problems.length > 0 || !result.success) throw new SpecError(problems);
  return normalise(result.data);
}

function normalise(raw: RawJob): Job {
  const global = raw.global ?? false;
  const containers = raw.containers
    ? raw.containers.map(container)
    : [container({ ...raw, name: raw.name, image: raw.image ?? '' })];
  const job: Job = {
    name: raw.name,
    count: global ? 0 : (raw.count ?? JOB_DEFAULTS.count),
    global,
    containers,
    tags: raw.tags ?? [],
    labels: raw.labels ?? {},
    constraints: constraints(raw),
    update: {
      maxParallel: raw.update?.maxParallel ?? JOB_DEFAULTS.update.maxParallel,
      minHealthyMs: raw.update?.minHealthy ?? JOB_DEFAULTS.update.minHealthyMs,
      progressDeadlineMs: raw.update?.progressDeadline ?? JOB_DEFAULTS.update.progressDeadlineMs,
    },
    strategy: raw.strategy ?? JOB_DEFAULTS.strategy,
    reschedule: {
      delayMs: raw.reschedule?.delay ?? JOB_DEFAULTS.reschedule.delayMs,
      maxDelayMs: raw.reschedule?.maxDelay ?? JOB_DEFAULTS.reschedule.maxDelayMs,
    },
  };
  if (raw.health) job.health = health(raw.health);
  if (raw.extraHosts && Object.keys(raw.extraHosts).length) job.extraHosts = raw.extraHosts;
  return job;
}

function container(raw: RawContainer): JobContainer {
  const c: JobContainer = {
    name: raw.name,
    image: raw.image,
    env: raw.env ?? {},
    ports: (raw.ports ?? []).map((p) => ({
      name: p.name ?? String(p.container),
      container: p.container,
      protocol: p.protocol ?? 'tcp',
      ...(p.host !== undefined ? { host: p.host } : {}),
      ...(p.hostIp !== undefined ? { hostIp: p.hostIp } : {}),
      ...(p.proxy !== undefined ? { proxy: p.proxy } : {}),
    })),
    resources: {
      cpu: raw.resources?.cpu ?? JOB_DEFAULTS.resources.cpu,
      memory: raw.resources?.memory ?? JOB_DEFAULTS.resources.memory,
    },
  };
  if (raw.command) c.command = raw.command;
  return withOptions(c, raw);
}

/** The optional container fields, set only when given, so jobs without them store as before. */
function withOptions(c: JobContainer, raw: RawContainer): JobContainer {
  if (raw.volumes?.length) {
    c.volumes = raw.volumes.map((v) => ({
      ...(v.name !== undefined ? { name: v.name } : { host: v.host! }),
      path: v.path,
      ...(v.readOnly ? { readOnly: true } : {}),
    }));
  }
  if (raw.entrypoint) c.entrypoint = raw.entrypoint;
  if (raw.user !== undefined) c.user = raw.user;
  if (raw.workingDir !== undefined) c.workingDir = raw.workingDir;
  if (raw.stopSignal !== undefined) c.stopSignal = raw.stopSignal;
  if (raw.stopGracePeriod !== undefined) c.stopGracePeriodMs = raw.stopGracePeriod;
  if (raw.capAdd?.length) c.capAdd = [...new Set(raw.capAdd)];
  if (raw.capDrop?.length) c.capDrop = [...new Set(raw.capDrop)];
  if (raw.privileged) c.privileged = true;
  return c;
}

function constraints(raw: RawJob): JobConstraints {
  const c = raw.constraints ?? {};
  const out: JobConstraints = {};
  if (c.hosts?.length) out.hosts = c.hosts;
  if (c.hostMeta && Object.keys(c.hostMeta).length) out.hostMeta = c.hostMeta;
  if (c.distinctHosts) out.distinctHosts = true;
  if (c.maxPerHost !== undefined) out.maxPerHost = c.maxPerHost;
  if (c.colocateWith !== undefined) out.colocateWith = c.colocateWith;
  if (c.conflictsWith?.length) out.conflictsWith = c.conflictsWith;
  return out;
}

function health(raw: NonNullable<RawJob['health']>): JobHealth {
  const h: JobHealth = {
    intervalMs: raw.interval ?? JOB_DEFAULTS.health.intervalMs,
    timeoutMs: raw.timeout ?? Math.min(JOB_DEFAULTS.health.timeoutMs, raw.interval ?? Infinity),
  };
  if (raw.http !== undefined) h.http = raw.http;
  if (raw.tcp) h.tcp = true;
  if (raw.exec?.length) h.exec = raw.exec;
  return h;
}

/** One zod issue → problems with `a.b[1].c` paths; unknown keys become one problem each. */
function toProblems(issue: ZodIssue): SpecProblem[] {
  const path = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => ({ path: formatPath([...issue.path, k]), message: 'unknown field' }));
  }
  if (issue.code === 'invalid_type' && issue.received === 'undefined') return [{ path, message: 'required' }];
  if (issue.code === 'invalid_type' && issue.message.startsWith('Expected ')) {
    return [{ path, message: `expected ${issue.expected}, got ${issue.received}` }];
  }
  return [{ path, message: issue.message }];
}

export function formatPath(path: (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

function dedupe(problems: SpecProblem[]): SpecProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.path}\u0000${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
