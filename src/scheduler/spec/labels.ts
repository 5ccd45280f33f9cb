/**
 * The `maestro.*` label namespace belongs to Maestro: the agent names and owns containers with it
 * (`maestro.job`, `maestro.alloc`, `maestro.service`, `maestro.instance`, `maestro.host`, …) and the
 * registrar reads its settings from it. A job setting one could register under another service's
 * name or instance, or hide its containers from their owner, so job labels may use only the two
 * registrar options that have no field of their own in the spec.
 */
export const JOB_MAESTRO_LABELS: ReadonlySet<string> = new Set(['maestro.address', 'maestro.ignore']);

/** Values the registrar understands for `maestro.address` (src/registrar/mapping.ts). */
export const ADDRESS_MODES = ['internal', 'advertise', 'published'] as const;

const AGENT_OWNED = new Set(['job', 'alloc', 'service', 'instance', 'host', 'job-version', 'member']);

/**
 * Keys the agent or the registrar act on (other than the two a job may set), in any case: the agent
 * drops these from a job's labels, which also covers jobs stored before the spec refused them.
 */
export function isActingMaestroLabel(key: string): boolean {
  const lower = key.toLowerCase();
  if (!lower.startsWith('maestro.') || JOB_MAESTRO_LABELS.has(key)) return false;
  const rest = lower.slice('maestro.'.length);
  return AGENT_OWNED.has(rest) || rest === 'tags' || rest === 'proxy' || rest === 'ignore' || rest === 'address' || rest.startsWith('port.');
}

/** Why a job may not set label `key`, or undefined when it may. */
export function reservedLabelProblem(key: string): string | undefined {
  if (!key.toLowerCase().startsWith('maestro.') || JOB_MAESTRO_LABELS.has(key)) return undefined;
  const rest = key.slice('maestro.'.length).toLowerCase();
  const allowed = `a job may set only ${[...JOB_MAESTRO_LABELS].join(' and ')}`;
  if (AGENT_OWNED.has(rest)) return `reserved: the agent sets ${key.toLowerCase()} on every container it runs; ${allowed}`;
  if (rest === 'tags') return `reserved: use the job's tags field`;
  if (rest === 'proxy' || rest.startsWith('port.')) return `reserved: use the ports field (name, proxy)`;
  return `reserved: maestro.* labels configure Maestro; ${allowed}`;
}
