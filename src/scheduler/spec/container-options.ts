import { isIP } from 'node:net';
import { z } from 'zod';
import { capabilityName, signalName } from './linux.js';
import { parseDuration } from './duration.js';

/**
 * The container fields people reach for beyond image/command/env: volumes, entrypoint, user,
 * working dir, stop signal and grace period, capabilities, privileged, and the pod's extra hosts.
 * Their shapes only; what an agent allows (host-path prefixes, privileged, added capabilities) is
 * decided on the host that runs the replica (src/agent/mounts.ts, src/agent/policy.ts).
 */

const VOLUME_NAME = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;
const USER = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,63})?$/;
/** RFC 1123 host names, as /etc/hosts holds them. */
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const PATH_MAX = 1024;
/** Docker's StopTimeout is whole seconds; an hour is far past any sane shutdown. */
export const STOP_GRACE_MAX_MS = 3_600_000;

/** Why `p` is not an absolute, normalised path (no `.`/`..`/empty components), or undefined. */
export function absolutePathProblem(p: string): string | undefined {
  if (p.length > PATH_MAX) return `too long: at most ${PATH_MAX} characters`;
  if (!p.startsWith('/')) return 'expected an absolute path (starting with "/")';
  if (p.includes('\0')) return 'a path cannot hold a NUL byte';
  const parts = p.split('/').slice(1);
  if (p !== '/' && parts.some((c) => c === '' || c === '.' || c === '..')) {
    return 'expected a normalised path: no "..", "." or empty components, no trailing "/"';
  }
  return undefined;
}

const absolutePath = z.string({ invalid_type_error: 'expected an absolute path' }).superRefine((p, ctx) => {
  const problem = absolutePathProblem(p);
  if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
});

/** One mount: exactly one of `name` (a per-instance named volume) or `host` (a host path). */
export const volumeSchema = z
  .object({
    name: z
      .string({ invalid_type_error: 'expected a volume name' })
      .regex(VOLUME_NAME, 'expected a volume name: a-z, 0-9, "-", at most 32, no leading or trailing "-"')
      .optional(),
    host: absolutePath
      .refine((p) => p !== '/', 'mounting the host\'s whole filesystem is refused')
      .optional(),
    path: absolutePath.refine((p) => p !== '/', 'cannot mount over the container\'s root'),
    readOnly: z.boolean().optional(),
  })
  .strict();

const signal = z.union([z.string(), z.number()], { errorMap: () => ({ message: 'expected a signal name like SIGTERM or a number 1..64' }) }).transform((v, ctx) => {
  const name = signalName(v);
  if (name === undefined) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'expected a signal name like SIGTERM, SIGINT, SIGQUIT or a number 1..64' });
    return z.NEVER;
  }
  return name;
});

const capability = z.string({ invalid_type_error: 'expected a capability name' }).transform((v, ctx) => {
  const name = capabilityName(v);
  if (name === undefined) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'expected a Linux capability like NET_ADMIN or ALL (CAP_ prefix optional)' });
    return z.NEVER;
  }
  return name;
});

const gracePeriod = z.unknown().transform((value, ctx) => {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined || ms > STOP_GRACE_MAX_MS) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'expected a duration from 0s to 1h, like 30s or 2m' });
    return z.NEVER;
  }
  return ms;
});

/** Fields of one container (the whole job, or one member of a pod). */
export const containerOptionFields = {
  volumes: z.array(volumeSchema, { invalid_type_error: 'expected a list of volumes' }),
  entrypoint: z.array(z.string(), { invalid_type_error: 'expected a list of strings' }).min(1, 'expected at least one string (leave it out for the image\'s own)'),
  user: z
    .union([z.string(), z.number().int().nonnegative()], { errorMap: () => ({ message: 'expected user, uid, user:group or uid:gid' }) })
    .transform(String)
    .refine((u) => USER.test(u), 'expected user, uid, user:group or uid:gid'),
  workingDir: absolutePath,
  stopSignal: signal,
  stopGracePeriod: gracePeriod,
  capAdd: z.array(capability, { invalid_type_error: 'expected a list of capabilities' }),
  capDrop: z.array(capability, { invalid_type_error: 'expected a list of capabilities' }),
  privileged: z.boolean(),
};

/** `extraHosts`: a mapping `name: ip`, or Docker's list form `["name:ip"]` (split at the first ":"). */
export const extraHostsSchema = z
  .union([z.record(z.string(), z.unknown()), z.array(z.unknown())], { errorMap: () => ({ message: 'expected a mapping of host name to IP address (or a list of "name:ip")' }) })
  .transform((raw, ctx) => {
    const pairs: [string, unknown, (string | number)[]][] = Array.isArray(raw)
      ? raw.map((entry, i) => {
          const text = typeof entry === 'string' ? entry : '';
          const colon = text.indexOf(':');
          return colon > 0 ? [text.slice(0, colon), text.slice(colon + 1), [i]] : ['', undefined, [i]];
        })
      : Object.entries(raw).map(([name, ip]) => [name, ip, [name]]);
    const out: Record<string, string> = {};
    for (const [name, ip, path] of pairs) {
      if (!HOST_NAME.test(name)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path, message: Array.isArray(raw) ? 'expected "name:ip"' : 'expected a host name' });
      } else if (typeof ip !== 'string' || isIP(ip) === 0) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path, message: 'expected an IPv4 or IPv6 address' });
      } else out[name] = ip;
    }
    return out;
  });
