/**
 * Blocking queries (README.md, "Blocking queries"), as Consul and Nomad have them: `?index=N`
 * holds a listing until the state view's index passes N or `?wait=D` runs out, then answers from the
 * view; every listing carries `X-Maestro-Index`. A held request costs one timer and one abort
 * listener (src/view/waiters.ts), is released when its client goes away, and the number held is
 * capped per client and in total — beyond, a clear 429, since outsiders must not hold resources
 * without a bound.
 */
import { parseDuration } from '../config/duration.js';
import type { IndexedStateView } from '../view/index.js';
import { ApiError } from './errors.js';
import type { Request } from './router.js';

/** Consul's default wait and its cap (https://developer.hashicorp.com/consul/api-docs/features/blocking). */
export const DEFAULT_WAIT_MS = 5 * 60_000;
export const MAX_WAIT_MS = 10 * 60_000;

export interface BlockingLimits {
  /** Held requests per client address (default 64). */
  perClient: number;
  /** Held requests on this server (default 4,096). */
  total: number;
  /**
   * How long a read waits for the view's first sync (the catalog unreachable at start) before a
   * 503 `unavailable` (default 10 s): no request is held without a bound.
   */
  syncWaitMs?: number;
}

export const DEFAULT_LIMITS: BlockingLimits = { perClient: 64, total: 4_096, syncWaitMs: 10_000 };

export class Blocker {
  private total = 0;
  private readonly byClient = new Map<string, number>();

  constructor(
    private readonly view: IndexedStateView,
    private readonly limits: BlockingLimits = DEFAULT_LIMITS,
  ) {}

  get held(): number {
    return this.total;
  }

  /**
   * Waits as `?index`/`?wait` ask (not at all without `index`), then returns the headers every
   * listing carries. The handler builds its answer from the view after this resolves.
   */
  async wait(req: Request): Promise<Record<string, string>> {
    const q = req.url.searchParams;
    const indexText = q.get('index');
    const waitText = q.get('wait');
    const index = indexText === null ? 0 : Number(indexText);
    if (indexText !== null && !(/^\d{1,15}$/.test(indexText) && Number.isSafeInteger(index))) {
      throw new ApiError('bad_request', `index must be a whole number (the X-Maestro-Index of an earlier answer), got "${indexText.slice(0, 40)}"`);
    }
    let waitMs = DEFAULT_WAIT_MS;
    if (waitText !== null) {
      const ms = parseDuration(waitText);
      if (ms === undefined) throw new ApiError('bad_request', `wait must be a duration like 30s or 5m, got "${waitText.slice(0, 40)}"`);
      waitMs = Math.min(ms, MAX_WAIT_MS);
    }
    if (this.view.resets === 0) await this.firstSync();
    if (index > 0 && this.view.index <= index) await this.hold(req, index, waitMs);
    return { 'x-maestro-index': String(this.view.index) };
  }

  private async firstSync(): Promise<void> {
    const ms = this.limits.syncWaitMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.view.ready(), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
    if (this.view.resets === 0) throw new ApiError('unavailable', `the state view has not synced with the catalog within ${ms} ms (is the catalog reachable?); retry later`);
  }

  private async hold(req: Request, index: number, waitMs: number): Promise<void> {
    const client = req.client ?? 'unknown';
    const mine = this.byClient.get(client) ?? 0;
    if (mine >= this.limits.perClient) {
      throw new ApiError('too_many_requests', `${mine} blocking queries of this client are waiting already (at most ${this.limits.perClient}); wait for one to return`);
    }
    if (this.total >= this.limits.total) {
      throw new ApiError('too_many_requests', `${this.total} blocking queries are waiting on this server (at most ${this.limits.total}); retry later`);
    }
    this.total++;
    this.byClient.set(client, mine + 1);
    try {
      await this.view.waitForIndex(index, waitMs, req.signal);
    } finally {
      this.total--;
      const left = (this.byClient.get(client) ?? 1) - 1;
      if (left > 0) this.byClient.set(client, left);
      else this.byClient.delete(client);
    }
  }
}
