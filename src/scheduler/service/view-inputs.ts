import type { StateView } from '../../view/types.js';
import { hostState, type Claim, type JobPassInput, type Lookup } from '../reconcile/index.js';
import type { LiveUsage } from '../placement/index.js';
import { keys, namedVolumes, type Job, type JobRecord, type VolumeHome } from '../types.js';
import type { CommitBasis } from './commit.js';

/** The reads of a pass that the view holds only as raw KV (claims, old versions, volume homes). */
export type ViewReads = Pick<StateView, 'job' | 'alloc' | 'allocsOfJob' | 'status' | 'evaluation' | 'host' | 'kv' | 'kvPrefix'>;

/**
 * A pass's inputs read straight from the state view — no copy of the cluster per pass: lookups
 * answer from the view's indexes when the planner asks, for the jobs it evaluates only. Raw KV
 * values are parsed once per modifyIndex and kept (claims, old job versions, volume homes).
 */
export class ViewInputs {
  private readonly parsed = new Map<string, { modifyIndex: number; value: unknown }>();
  /** Entries that did not parse (logged by the service, otherwise ignored, as the snapshot path does). */
  readonly unreadable = new Set<string>();

  constructor(private readonly view: ViewReads) {}

  value<T>(key: string): T | undefined {
    const e = this.view.kv(key);
    if (!e) {
      this.parsed.delete(key);
      return undefined;
    }
    const hit = this.parsed.get(key);
    if (hit && hit.modifyIndex === e.modifyIndex) return hit.value as T;
    let value: unknown;
    try {
      value = JSON.parse(e.value);
    } catch {
      this.unreadable.add(key);
    }
    this.parsed.set(key, { modifyIndex: e.modifyIndex, value });
    return value as T | undefined;
  }

  /** The spec of version `version` of `job` (rollouts: older replicas are charged what they run). */
  spec(job: string, version: number): Job | undefined {
    const current = this.view.job(job);
    if (current?.version === version) return current.job;
    return this.value<JobRecord>(keys.jobVersion(job, version))?.job;
  }

  /** Only jobs with named volumes have homes (and a prefix read walks the view's directories). */
  homesOf(job: string): Map<number, VolumeHome> {
    const out = new Map<number, VolumeHome>();
    const spec = this.view.job(job)?.job;
    if (!spec || namedVolumes(spec).length === 0) return out;
    const prefix = keys.volumeHomePrefix(job);
    for (const e of this.view.kvPrefix(prefix)) {
      const ordinal = Number(e.key.slice(prefix.length));
      const home = this.value<VolumeHome>(e.key);
      if (Number.isInteger(ordinal) && ordinal >= 0 && typeof home?.host === 'string' && Array.isArray(home.volumes)) out.set(ordinal, home);
    }
    return out;
  }

  /** What commits compare against: the view's modifyIndexes, claims and evaluations. */
  basis(): CommitBasis {
    return {
      indexes: { get: (key) => this.view.kv(key)?.modifyIndex },
      claims: this.claims,
      evaluations: { get: (job) => this.view.evaluation(job) },
    };
  }

  /** Claims by `claimKey` (`<job>/<ordinal>`), which is the tail of the claim's KV key. */
  readonly claims: Lookup<string, Claim> = { get: (claimKey) => this.value<Claim>(keys.allocClaimsPrefix + claimKey) };

  input(o: { now: number; seed: number; graceMs: number; downSince: ReadonlyMap<string, number>; usage: LiveUsage }): JobPassInput {
    const view = this.view;
    const clock = { now: o.now, graceMs: o.graceMs, hostDownSince: o.downSince };
    return {
      now: o.now,
      seed: o.seed,
      graceMs: o.graceMs,
      statuses: { get: (id) => view.status(id) },
      previous: { get: (job) => view.evaluation(job) },
      claims: this.claims,
      versions: {
        get: (versionKey) => {
          const at = versionKey.lastIndexOf('@');
          return this.spec(versionKey.slice(0, at), Number(versionKey.slice(at + 1)));
        },
      },
      hosts: {
        get: (name) => {
          const h = view.host(name);
          return h ? hostState(h, clock) : undefined;
        },
      },
      usage: o.usage,
      known: { has: (id) => view.alloc(id) !== undefined },
      record: (job) => view.job(job),
      allocsOf: (job) => view.allocsOfJob(job),
      homesOf: (job) => this.homesOf(job),
    };
  }
}
