import type { Cluster } from '../cluster.js';
import { ApiError } from '../errors.js';
import type { Request, Router } from '../router.js';
import { matches } from '../selector.js';
import { allocViews, jobSummary } from '../views.js';
import type { SpecParser } from '../spec-parser.js';
import { jobDetailOf, jsonBody, selectorOf } from './common.js';

/** Replicas one request may ask for: far above any real job, low enough to refuse typos like 1e9. */
const MAX_COUNT = 10_000;

export function jobRoutes(router: Router, cluster: Cluster, specs: SpecParser): void {
  const detail = (name: string) => jobDetailOf(cluster, name);

  router.add(
    'POST',
    '/v1/jobs',
    async (req) => {
      const text = await req.text();
      if (text.trim() === '') throw new ApiError('bad_request', 'empty body: send a job spec as YAML or JSON');
      // Off the event loop (spec-parser.ts); a JSON body that does not parse is a bad_request, not an invalid spec.
      const job = await specs.parse(text, req.kind ?? 'yaml');
      const { created, changed } = await cluster.submit(job);
      return { status: created ? 201 : 200, json: { created, changed, job: await detail(job.name) } };
    },
    { accepts: ['json', 'yaml'] },
  );

  router.add('GET', '/v1/jobs', async (req) => {
    const selector = selectorOf(req);
    const state = await cluster.state();
    const jobs = state.jobs
      .filter((r) => matches(selector, r.job.labels))
      .map((r) => jobSummary(state, r))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { json: { jobs } };
  });

  router.add('GET', '/v1/jobs/:name', async (req) => ({ json: { job: await detail(req.params.name!) } }));

  router.add('DELETE', '/v1/jobs/:name', async (req) => {
    await cluster.stop(req.params.name!);
    return { json: { job: await detail(req.params.name!) } };
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
      return { json: { job: await detail(req.params.name!) } };
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

  router.add('GET', '/v1/allocations', async (req: Request) => {
    const selector = selectorOf(req);
    const job = req.url.searchParams.get('job') ?? undefined;
    const state = await cluster.state();
    if (job !== undefined && !state.jobs.some((r) => r.job.name === job)) throw new ApiError('not_found', `no such job: ${job}`);
    const labels = new Map(state.jobs.map((r) => [r.job.name, r.job.labels]));
    const allocations = allocViews(state, job).filter((a) => matches(selector, labels.get(a.job) ?? {}));
    return { json: { allocations } };
  });
}
