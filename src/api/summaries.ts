/**
 * Job summaries kept between requests: a listing page of 100 jobs would otherwise build 100 jobs'
 * allocation views (2,500 at 25 replicas each) per request. A summary is dropped when the view
 * reports a change to its job (record, allocations, statuses — `ViewChange.jobs`/`allocJobs`) or its
 * evaluation (`keys`), on every reset, and when time alone would change it: a replica passing the
 * job's `update.minHealthy` turns healthy with no write at all, so a summary is kept only until the
 * first such moment.
 */
import { keys, type JobRecord } from '../state/index.js';
import { JOB_DEFAULTS } from '../scheduler/spec/defaults.js';
import type { IndexedStateView } from '../view/index.js';
import { jobSummary, type JobSummary } from './views.js';

interface Kept {
  record: JobRecord;
  summary: JobSummary;
  /** The summary as JSON, serialised once: listings join these instead of stringifying each time. */
  json: string;
  /** Epoch ms from which the summary may be stale by time alone. */
  until: number;
}

export class SummaryCache {
  private readonly kept = new Map<string, Kept>();

  constructor(private readonly view: IndexedStateView) {
    view.subscribe((c) => {
      if (c.reset) return this.kept.clear();
      for (const job of c.jobs) this.kept.delete(job);
      for (const job of c.allocJobs) this.kept.delete(job);
      for (const key of c.keys) if (key.startsWith(keys.evaluationPrefix)) this.kept.delete(key.slice(keys.evaluationPrefix.length));
    });
  }

  get size(): number {
    return this.kept.size;
  }

  summary(record: JobRecord, now = Date.now()): JobSummary {
    return this.entry(record, now).summary;
  }

  /** The summary as JSON text. */
  json(record: JobRecord, now = Date.now()): string {
    return this.entry(record, now).json;
  }

  private entry(record: JobRecord, now: number): Kept {
    const name = record.job.name;
    const hit = this.kept.get(name);
    if (hit && hit.record === record && now < hit.until) return hit;
    const summary = jobSummary(this.view, record, now);
    const kept = { record, summary, json: JSON.stringify(summary), until: this.staleFrom(record, now) };
    this.kept.set(name, kept);
    return kept;
  }

  /** The first moment a healthy replica of the current version passes minHealthy (Infinity: none). */
  private staleFrom(record: JobRecord, now: number): number {
    const min = record.job.update.minHealthyMs ?? JOB_DEFAULTS.update.minHealthyMs;
    let until = Infinity;
    for (const a of this.view.allocsOfJob(record.job.name)) {
      const s = this.view.status(a.id);
      if (!s?.healthy || s.healthySince === undefined) continue;
      const due = s.healthySince + min;
      if (due > now) until = Math.min(until, due);
    }
    return until;
  }
}
