import type { Blocker } from '../blocking.js';
import type { Cluster } from '../cluster.js';
import { ApiError } from '../errors.js';
import type { Router } from '../router.js';
import { matches, type Selector } from '../selector.js';
import { page, pageQuery } from '../paging.js';
import { SummaryCache } from '../summaries.js';
import type { IndexedStateView } from '../../view/index.js';
import type { JobRecord } from '../../state/index.js';
import type { SpecParser } from '../spec-parser.js';
import { jobDetailOf, jsonBody, selectorOf } from './common.js';

/** Replicas one request may ask for: far above any real job, low enough to refuse typos like 1e9. */
const MAX_COUNT = 10_000;

export function jobRoutes(router: Router, cluster: Cluster, specs: SpecParser, blocker: Blocker): void {
  const detail = (name: string) => jobDetailOf(cluster, name);
  const summaries = new SummaryCache(cluster.view);

  router.add(
    'POST',
    '/v1/jobs',
    async (req) => {
      const text = await req.text();
      if (text.trim() === '') throw new ApiError('bad_request', 'empty body: send a job spec as YAML or JSON');
      // Off the event loop (spec-parser.ts); a JSON body that does not parse is a bad_request, not an invalid spec.
      const job = await specs.parse(text, req.kind ?? 'yaml');
      const { created, changed } = await cluster.submit(job);
      return { status: created ? 201 : 200, json: { created, changed, job: detail(job.name) } };
    },
    { accepts: ['json', 'yaml'] },
  );

  router.add('GET', '/v1/jobs', async (req) => {
    const selector = selectorOf(req);
    const paging = pageQuery(req.url.searchParams);
    const headers = await blocker.wait(req);
    const { view } = cluster;
    const candidates = narrowed(view, selector);
    const records = selector.length ? candidates.filter((r) => matches(selector, r.job.labels)) : candidates;
    const now = Date.now();
    const { items, headers: next } = page(records, (r) => r.job.name, paging, (r) => summaries.json(r, now));
    // Joined from summaries serialised once each: the listing's cost is mostly JSON otherwise.
    return { text: `{"jobs":[${items.join(',')}]}`, contentType: 'application/json; charset=utf-8', headers: { ...headers, ...next } };
  });

  router.add('GET', '/v1/jobs/:name', async (req) => {
    const headers = await blocker.wait(req);
    return { json: { job: detail(req.params.name!) }, headers };
  });

  router.add('DELETE', '/v1/jobs/:name', async (req) => {
    await cluster.stop(req.params.name!);
    return { json: { job: detail(req.params.name!) } };
  });

  router.add(
    'POST',
    '/v1/jobs/:name/scale',
    async (req) => {
      const { count } = await jsonBody(req);
      if (!Number.isInteger(count) || (count as number) < 0 || (count as number) > MAX_COUNT) {
        throw new ApiError('bad_request', `count must be an integer from 0 to ${MAX_COUNT}`);
      }
      await cluster.scale(req.params.name!, count as number);
      return { json: { job: detail(req.params.name!) } };
    },
    { accepts: ['json'] },
  );

  router.add('GET', '/v1/jobs/:name/history', async (req) => {
    const name = req.params.name!;
    const versions = await cluster.history(name);
    return {
      json: {
        name,
        versions: versions.map((r) => ({ version: r.version, submittedAt: r.submittedAt, ...(r.note ? { note: r.note } : {}), job: r.job })),
      },
    };
  });
}

/**
 * The jobs a selector can match, from the label index when it has an equality requirement (the
 * selector is still checked on each): a selective query reads only its jobs, not all of them.
 */
function narrowed(view: IndexedStateView, selector: Selector): readonly JobRecord[] {
  const eq = selector.find((r) => r.op === '=' || (r.op === 'in' && r.values.length === 1));
  if (!eq) return view.jobs();
  return view.jobsWithLabel(eq.key, eq.values[0]!).map((name) => view.job(name)).filter((r): r is JobRecord => !!r).sort((a, b) => (a.job.name < b.job.name ? -1 : a.job.name > b.job.name ? 1 : 0));
}
