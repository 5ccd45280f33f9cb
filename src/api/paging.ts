/**
 * Pagination of listings (README.md, "Pagination"): `?limit=N` answers at most N items and, when
 * more follow, the header `X-Maestro-Next` with a token; `?next=<token>` continues after the item
 * it names. The token is the sort key of the last item answered (opaque to clients: base64url), so
 * a page never repeats or skips an item that stayed, however the listing changed in between.
 */
import { ApiError } from './errors.js';

export const MAX_LIMIT = 10_000;

export interface Page<T> {
  items: T[];
  headers: Record<string, string>;
}

export interface PageQuery {
  limit?: number;
  /** The sort key to continue after. */
  after?: string;
}

export function pageQuery(params: URLSearchParams): PageQuery {
  const q: PageQuery = {};
  const limit = params.get('limit');
  if (limit !== null) {
    const n = Number(limit);
    if (!/^\d{1,6}$/.test(limit) || n < 1 || n > MAX_LIMIT) throw new ApiError('bad_request', `limit must be a whole number from 1 to ${MAX_LIMIT}, got "${limit.slice(0, 40)}"`);
    q.limit = n;
  }
  const next = params.get('next');
  if (next !== null) {
    const after = Buffer.from(next, 'base64url').toString('utf8');
    if (next === '' || next.length > 2_048 || Buffer.from(after, 'utf8').toString('base64url') !== next) {
      throw new ApiError('bad_request', 'next must be the X-Maestro-Next token of an earlier answer');
    }
    q.after = after;
  }
  return q;
}

/**
 * One page of `sorted` (ascending by `keyOf`, unique keys). Items are mapped with `view` only once
 * paged, so a page of 100 costs 100 views, not the whole listing's.
 */
export function page<T, V>(sorted: readonly T[], keyOf: (item: T) => string, q: PageQuery, view: (item: T) => V): Page<V> {
  let from = 0;
  if (q.after !== undefined) {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (keyOf(sorted[mid]!) <= q.after) lo = mid + 1;
      else hi = mid;
    }
    from = lo;
  }
  const to = q.limit === undefined ? sorted.length : Math.min(sorted.length, from + q.limit);
  const items = sorted.slice(from, to).map(view);
  const headers: Record<string, string> = {};
  if (to < sorted.length && to > from) headers['x-maestro-next'] = Buffer.from(keyOf(sorted[to - 1]!), 'utf8').toString('base64url');
  return { items, headers };
}
