import type { Catalog, TxnOp } from '../../catalog/types.js';
import type { Claim, Lookup, Plan } from '../reconcile/index.js';
import { keys, type Evaluation } from '../types.js';
import { runBatched, type Fence, type Unit } from './batches.js';
import type { TxnStats } from './timeline.js';

export type { Fence } from './batches.js';

export interface CommitResult {
  placed: number;
  stopped: number;
  removed: number;
  /** Writes refused by a CAS: someone (another leader, an agent) changed the key since the read. */
  conflicts: number;
  evaluationsWritten: number;
  /** True when the fence failed: this scheduler no longer holds the lock, and wrote nothing more. */
  deposed: boolean;
  /** Jobs with a refused write: evaluate them again from fresh state. */
  conflictedJobs: Set<string>;
  /** Every key written, with the modifyIndex it had before: what read-your-writes waits to see. */
  written: { key: string; before: number }[];
}

/** Instrumentation of a commit: transaction counts, and each unit as etcd acknowledges it. */
export interface CommitObserver {
  stats?: TxnStats;
  /** Told as each unit lands, so counters move with the commit rather than at the end of a pass. */
  landed?: (kind: 'placed' | 'stopped' | 'removed' | 'evaluation') => void;
}

/** What a plan was made from: the indexes its writes compare against, the claims and evaluations it saw. */
export interface CommitBasis {
  /** modifyIndex by KV key (0 or absent: the key did not exist). */
  indexes: Lookup<string, number>;
  /** Replica claims by `claimKey`. */
  claims: Lookup<string, Claim>;
  evaluations: Lookup<string, Evaluation>;
}

/**
 * Writes a plan, every write conditional on what the pass read, in transactions (`kvTxn`) that each
 * carry the fence — "this session still holds the leader lock" — as a compare, so a deposed leader
 * commits nothing, however late it notices. Each change is a unit applied whole or not at all:
 * a removal deletes the allocation (CAS), its status and its replica claim (CAS) together; a stop
 * rewrites the allocation `desired: stop` (CAS); a placement claims its replica slot
 * (`keys.allocClaim(job, ordinal)`, CAS against the index the pass read) and writes the allocation
 * under its host (only if absent) together, so of two leaders placing one replica from the same
 * state only one wins — the loser's pass is simply re-run. Stops and removals are committed before
 * any placement, so what they free is free before anything new lands.
 */
export async function commitPlan(
  catalog: Catalog,
  plan: Plan,
  snap: CommitBasis,
  now: number,
  fence?: Fence,
  pause: () => Promise<void> = async () => undefined,
  observe: CommitObserver = {},
): Promise<CommitResult> {
  const r: CommitResult = { placed: 0, stopped: 0, removed: 0, conflicts: 0, evaluationsWritten: 0, deposed: false, conflictedJobs: new Set(), written: [] };
  const cas = (key: string) => snap.indexes.get(key) ?? 0;
  let built = 0;
  // Building 100,000 placements' JSON is itself a long step: let the loop run between chunks.
  const progress = async () => {
    if (++built % 256 === 0) await pause();
  };
  const unit = (job: string, ops: TxnOp[], kind: 'placed' | 'stopped' | 'removed' | 'evaluation'): Unit => {
    // Indexes as the plan read them, taken now: once the write lands, a view may already show it.
    const written = ops.flatMap((op) => {
      const before = cas(op.key);
      // A delete of a key that was absent leaves nothing for a reader to see.
      return op.verb === 'put' || (op.verb === 'delete' && before !== 0) ? [{ key: op.key, before }] : [];
    });
    return {
      ops,
      done: () => {
        if (kind === 'evaluation') r.evaluationsWritten++;
        else r[kind]++;
        observe.landed?.(kind);
        r.written.push(...written);
      },
      conflict: () => {
        r.conflicts++;
        r.conflictedJobs.add(job);
      },
    };
  };
  const freeing: Unit[] = [];
  /** Claims the removals delete: committed first, so a replacement finds its slot free (CAS 0). */
  const released = new Set<string>();
  for (const a of plan.remove) {
    const key = keys.alloc(a.host, a.id);
    const ops: TxnOp[] = [{ verb: 'delete', key, cas: cas(key) }, { verb: 'delete', key: keys.allocStatus(a.host, a.id) }];
    const claim = keys.allocClaim(a.job, a.ordinal);
    if (snap.claims.get(`${a.job}/${a.ordinal}`)?.id === a.id) {
      ops.push({ verb: 'delete', key: claim, cas: cas(claim) });
      released.add(claim);
    }
    freeing.push(unit(a.job, ops, 'removed'));
    await progress();
  }
  for (const a of plan.stop) {
    const key = keys.alloc(a.host, a.id);
    freeing.push(unit(a.job, [{ verb: 'put', key, value: JSON.stringify({ ...a, desired: 'stop' }), cas: cas(key) }], 'stopped'));
    await progress();
  }
  const placing: Unit[] = [];
  for (const a of plan.place) {
    const claim = keys.allocClaim(a.job, a.ordinal);
    const ops: TxnOp[] = [
      // Compared against the index the pass read — or absent when this commit's removal freed it (if
      // that removal lost a race, the claim is still there and this placement is refused too).
      { verb: 'put', key: claim, value: JSON.stringify({ id: a.id, at: now }), cas: released.has(claim) ? 0 : cas(claim) },
      { verb: 'put', key: keys.alloc(a.host, a.id), value: JSON.stringify(a), cas: 0 },
    ];
    // Where its named volumes now live: written with the placement that creates them.
    const home = plan.homes?.get(a.id);
    if (home) ops.push({ verb: 'put', key: keys.volumeHome(a.job, a.ordinal), value: JSON.stringify(home) });
    placing.push(unit(a.job, ops, 'placed'));
    await progress();
  }
  const evaluations: Unit[] = [];
  for (const ev of plan.evaluations) {
    if (sameEvaluation(snap.evaluations.get(ev.job), ev)) continue;
    evaluations.push(unit(ev.job, [{ verb: 'put', key: keys.evaluation(ev.job), value: JSON.stringify(ev) }], 'evaluation'));
    await progress();
  }

  for (const phase of [freeing, placing, evaluations]) {
    if (!(await runBatched(catalog, phase, fence, observe.stats, undefined, pause))) {
      r.deposed = true;
      break;
    }
  }
  return r;
}

/** Evaluations are rewritten only when their content changes, or every pass would wake every watcher. */
function sameEvaluation(a: Evaluation | undefined, b: Evaluation): boolean {
  if (!a) return false;
  const { at: _a, ...ra } = a;
  const { at: _b, ...rb } = b;
  return JSON.stringify(ra) === JSON.stringify(rb);
}
