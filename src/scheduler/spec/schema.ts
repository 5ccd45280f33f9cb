import { isIP } from 'node:net';
import { z } from 'zod';
import { parseDuration } from './duration.js';
import { containerOptionFields, extraHostsSchema } from './container-options.js';
import { imageProblem } from './image.js';
import { reservedLabelProblem } from './labels.js';

/**
 * The job spec as users write it (README.md, "Job spec"), before normalisation. Objects are strict so a
 * misspelt field is reported instead of silently ignored; cross-field rules live in `rules.ts`.
 */

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LABEL_KEY = /^[A-Za-z0-9]([A-Za-z0-9._/-]{0,251}[A-Za-z0-9])?$/;

const LABEL_MSG = 'expected a DNS label (a-z, 0-9, "-"; at most 63; no leading or trailing "-")';
const PORT_MSG = 'expected integer 1..65535';
const IP_MSG = 'expected an IPv4 or IPv6 address (0.0.0.0 publishes on every IPv4 interface)';

/** A job label key: Docker's label syntax, outside the `maestro.*` namespace but for two options (labels.ts). */
const labelKey = z
  .string()
  .regex(LABEL_KEY, 'expected a label key')
  .superRefine((key, ctx) => {
    const problem = reservedLabelProblem(key);
    if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
  });

export const dnsLabel = z.string({ invalid_type_error: LABEL_MSG }).regex(DNS_LABEL, LABEL_MSG);

const intIn = (min: number, max: number, msg = `expected integer ${min}..${max}`) =>
  z.number({ invalid_type_error: msg }).int(msg).min(min, msg).max(max, msg);

const port = intIn(1, 65_535, PORT_MSG);

/** Strings, numbers and booleans all end up as strings (YAML reads `PORT: 8080` as a number). */
const scalar = z
  .union([z.string(), z.number(), z.boolean()], { errorMap: () => ({ message: 'expected a string, number or boolean' }) })
  .transform(String);

const duration = z.unknown().transform((value, ctx) => {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'expected a duration like 500ms, 5s or 1m30s' });
    return z.NEVER;
  }
  return ms;
});

const stringList = (item: z.ZodString = z.string().min(1, 'expected a non-empty string')) =>
  z.array(item, { invalid_type_error: 'expected a list of strings' });

export const portSchema = z
  .object({
    name: dnsLabel.optional(),
    container: port,
    host: port.optional(),
    /** Where the port is published; absent: the host's advertise address (see README). */
    hostIp: z
      .string({ invalid_type_error: IP_MSG })
      .refine((ip) => isIP(ip) !== 0, IP_MSG)
      .optional(),
    proxy: port.optional(),
    protocol: z.enum(['tcp', 'udp'], { errorMap: () => ({ message: 'expected tcp or udp' }) }).optional(),
  })
  .strict();

export const resourcesSchema = z
  .object({
    cpu: intIn(0, 1_000_000, 'expected millicores: integer 0..1000000').optional(),
    // Docker refuses limits under 6 MiB, and 0 would silently mean "no limit": leave it out for the default.
    memory: intIn(6, 16_777_216, 'expected MiB: integer 6..16777216 (Docker needs at least 6; leave it out for the default)').optional(),
  })
  .strict();

/** The fields one container has, whether it is the whole job or one member of a pod. */
const containerFields = {
  image: z.string({ invalid_type_error: 'expected an image reference' }).superRefine((ref, ctx) => {
    const problem = imageProblem(ref);
    if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
  }),
  command: stringList(z.string()).optional(),
  env: z.record(z.string().regex(ENV_NAME, 'expected an environment variable name'), scalar).optional(),
  ports: z.array(portSchema, { invalid_type_error: 'expected a list of ports' }).optional(),
  resources: resourcesSchema.optional(),
  ...partial(containerOptionFields),
};

export const containerSchema = z.object({ name: dnsLabel, ...containerFields }).strict();

export const constraintsSchema = z
  .object({
    hosts: stringList().optional(),
    hostMeta: z.record(z.string().min(1), scalar).optional(),
    distinctHosts: z.boolean().optional(),
    maxPerHost: intIn(1, 1_000_000, 'expected integer >= 1').optional(),
    colocateWith: dnsLabel.optional(),
    conflictsWith: stringList().optional(),
  })
  .strict();

export const healthSchema = z
  .object({
    http: z.string().regex(/^\//, 'expected a path starting with "/"').optional(),
    tcp: z.boolean().optional(),
    /** A command run inside the container (Docker HEALTHCHECK `CMD`): for checks a port cannot tell. */
    exec: stringList().min(1, 'expected a command: a list of at least one string').optional(),
    interval: duration,
    timeout: duration,
  })
  .strict();

export const updateSchema = z
  .object({
    maxParallel: intIn(1, 1_000_000, 'expected integer >= 1').optional(),
    minHealthy: duration,
    /** No healthy progress for this long fails the rollout; 0 turns the deadline off. */
    progressDeadline: duration,
  })
  .strict();

export const rescheduleSchema = z
  .object({
    delay: duration,
    maxDelay: duration,
  })
  .strict();

export const jobSchema = z
  .object(
    {
      name: dnsLabel,
      ...partial(containerFields),
      containers: z.array(containerSchema, { invalid_type_error: 'expected a list of containers' }).optional(),
      count: intIn(0, 1_000_000, 'expected integer 0..1000000').optional(),
      global: z.boolean().optional(),
      tags: stringList(dnsLabel).optional(),
      labels: z.record(labelKey, scalar).optional(),
      constraints: constraintsSchema.optional(),
      extraHosts: extraHostsSchema.optional(),
      health: healthSchema.optional(),
      update: updateSchema.optional(),
      reschedule: rescheduleSchema.optional(),
      strategy: z.enum(['spread', 'binpack'], { errorMap: () => ({ message: 'expected spread or binpack' }) }).optional(),
    },
    { invalid_type_error: 'expected a mapping' },
  )
  .strict();

export type RawJob = z.infer<typeof jobSchema>;
export type RawContainer = z.infer<typeof containerSchema>;

function partial<T extends Record<string, z.ZodTypeAny>>(fields: T): { [K in keyof T]: z.ZodOptional<T[K]> } {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v.optional()])) as { [K in keyof T]: z.ZodOptional<T[K]> };
}
