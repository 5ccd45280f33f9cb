import type { Cluster } from '../cluster.js';
import { ApiError } from '../errors.js';
import type { Router } from '../router.js';
import { jobDetailOf, jsonBody } from './common.js';

/**
 * `POST /v1/jobs/:name/rollback` and `/restart`: new versions made from the job's own history
 * (src/scheduler/jobs.ts), rolled out like any other within the job's `update` settings. Both take
 * a JSON body (`{}` will do) so that, like every write, no web page can send them without a preflight.
 */
export function lifecycleRoutes(router: Router, cluster: Cluster): void {
  const detail = (name: string) => jobDetailOf(cluster, name);

  router.add(
    'POST',
    '/v1/jobs/:name/rollback',
    async (req) => {
      const body = await jsonBody(req);
      const unknown = Object.keys(body).filter((k) => k !== 'version');
      if (unknown.length) throw new ApiError('bad_request', `unknown field(s): ${unknown.join(', ').slice(0, 200)} (only "version")`);
      const { version } = body;
      if (version !== undefined && (!Number.isSafeInteger(version) || (version as number) < 1)) {
        throw new ApiError('bad_request', 'version must be a whole number from 1 (see GET /v1/jobs/:name/history)');
      }
      const name = req.params.name!;
      const { changed, target } = await cluster.rollback(name, version as number | undefined);
      return { json: { changed, target, job: detail(name) } };
    },
    { accepts: ['json'] },
  );

  router.add(
    'POST',
    '/v1/jobs/:name/restart',
    async (req) => {
      const body = await jsonBody(req);
      if (Object.keys(body).length) throw new ApiError('bad_request', 'restart takes no fields: send {}');
      const name = req.params.name!;
      await cluster.restart(name);
      return { json: { job: detail(name) } };
    },
    { accepts: ['json'] },
  );
}
