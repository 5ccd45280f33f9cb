import type { Catalog } from '../../catalog/types.js';
import type { Plan } from '../reconcile/index.js';
import { keys, type Evaluation } from '../types.js';
import type { CatalogSnapshot } from './snapshot.js';

export interface CommitResult {
  placed: number;
  stopped: number;
  removed: number;
  /** Writes refused by a CAS: someone (another leader, an agent) changed the key since the read. */
  conflicts: number;
  evaluationsWritten: number;
}

/**
 * Writes a plan, every write conditional on what the pass read. Stops and deletions go first so what
 * they free is free before anything new lands. A placement first claims its replica slot with CAS on
 * `keys.allocClaim(job, ordinal)` and only then writes the allocation under its host, so of two
 * leaders placing one replica from the same state only one wins; the loser's pass is simply re-run.
 */
export async function commitPlan(catalog: Catalog, plan: Plan, snap: CatalogSnapshot, now: number): Promise<CommitResult> {
  const r: CommitResult = { placed: 0, stopped: 0, removed: 0, conflicts: 0, evaluationsWritten: 0 };
  const cas = (key: string) => snap.indexes.get(key) ?? 0;

  for (const a of plan.remove) {
    const key = keys.alloc(a.host, a.id);
    if (!(await catalog.kvDelete(key, { cas: cas(key) }))) {
      r.conflicts++;
      continue;
    }
    r.removed++;
    await catalog.kvDelete(keys.allocStatus(a.host, a.id));
    const claim = keys.allocClaim(a.job, a.ordinal);
    if (snap.claims.get(`${a.job}/${a.ordinal}`)?.id === a.id) await catalog.kvDelete(claim, { cas: cas(claim) });
  }
  for (const a of plan.stop) {
    const key = keys.alloc(a.host, a.id);
    if (await catalog.kvPut(key, JSON.stringify({ ...a, desired: 'stop' }), { cas: cas(key) })) r.stopped++;
    else r.conflicts++;
  }
  for (const a of plan.place) {
    const claim = keys.allocClaim(a.job, a.ordinal);
    if (!(await catalog.kvPut(claim, JSON.stringify({ id: a.id, at: now }), { cas: cas(claim) }))) {
      r.conflicts++;
      continue;
    }
    if (await catalog.kvPut(keys.alloc(a.host, a.id), JSON.stringify(a), { cas: 0 })) r.placed++;
    else r.conflicts++;
  }
  for (const ev of plan.evaluations) {
    if (sameEvaluation(snap.evaluations.get(ev.job), ev)) continue;
    await catalog.kvPut(keys.evaluation(ev.job), JSON.stringify(ev));
    r.evaluationsWritten++;
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
