import type { Cluster } from '../cluster.js';
import { ApiError } from '../errors.js';
import type { Request } from '../router.js';
import { parseSelector, type Selector } from '../selector.js';
import { jobDetail } from '../views.js';

/** One job's detail view from the state view, or `not_found`. */
export function jobDetailOf(cluster: Cluster, name: string): ReturnType<typeof jobDetail> {
  const record = cluster.view.job(name);
  if (!record) throw new ApiError('not_found', `no such job: ${name}`);
  return jobDetail(cluster.view, record);
}

/** `?selector=` (Kubernetes syntax); absent or empty matches everything. */
export function selectorOf(req: Request): Selector {
  return parseSelector(req.url.searchParams.get('selector') ?? '');
}

/** The body parsed as a JSON object, or `bad_request` saying what is wrong with it. */
export async function jsonBody(req: Request): Promise<Record<string, unknown>> {
  return jsonObject(await req.text());
}

export function jsonObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ApiError('bad_request', `body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ApiError('bad_request', 'body must be a JSON object');
  }
  return value as Record<string, unknown>;
}
