/**
 * How the page follows a listing live (pure): the API's blocking queries when it has them, a slow
 * poll when it does not, and back-off on errors. Consul's rules for blocking clients apply: send the
 * last `X-Maestro-Index` back as `?index=`, start over at 0 when it goes backwards (the store was
 * rebuilt), and never loop faster than a floor even when every answer comes at once.
 */

/** Without blocking queries (no X-Maestro-Index), one request every 2 s: never a tight loop. */
export const POLL_MS = 2_000;
/** Blocking requests of one watch start at least this far apart (bursts of changes). */
export const MIN_GAP_MS = 250;
/** How long the server may hold a blocking request (well under the API's 5 m cap). */
export const WAIT = '60s';
const MAX_BACKOFF_MS = 30_000;

export interface Step {
  /** The `?index=` of the next request (0: answer at once). */
  index: number;
  /** Wait this long before sending it. */
  delayMs: number;
  /** The server answered with an index: the next request blocks. */
  blocking: boolean;
}

/** The index a response carries, or undefined when the header is absent or not a whole number. */
export function parseIndex(header: string | null | undefined): number | undefined {
  if (header === null || header === undefined || !/^\d{1,16}$/.test(header.trim())) return undefined;
  return Number(header.trim());
}

/**
 * After a successful response: `previous` is the index sent, `header` the response's
 * X-Maestro-Index, `elapsedMs` how long the request took.
 */
export function afterSuccess(previous: number, header: string | null | undefined, elapsedMs: number): Step {
  const index = parseIndex(header);
  if (index === undefined) return { index: 0, delayMs: POLL_MS, blocking: false };
  return {
    index: index < previous ? 0 : index,
    delayMs: Math.max(0, MIN_GAP_MS - elapsedMs),
    blocking: true,
  };
}

/** After the `failures`-th failed request in a row (1, 2, …): 1 s, 2 s, 4 s … up to 30 s; the index restarts. */
export function afterFailure(failures: number): Step {
  const delayMs = Math.min(MAX_BACKOFF_MS, 1_000 * 2 ** Math.max(0, Math.min(failures - 1, 15)));
  return { index: 0, delayMs, blocking: false };
}

/** The URL of the next request of a watch: `path` with `index` and `wait` added once it blocks. */
export function watchUrl(path: string, step: Step): string {
  if (!step.blocking || step.index === 0) return path;
  const sep = path.includes('?') ? '&' : '?';
  return `${path}${sep}index=${step.index}&wait=${WAIT}`;
}
