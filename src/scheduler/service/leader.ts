import type { Logger } from 'pino';
import type { Catalog } from '../../catalog/types.js';
import { sleep } from '../../catalog/watch.js';
import { keys } from '../types.js';

export interface ElectionOptions {
  catalog: Catalog;
  logger: Logger;
  /** Written as the lock's value, for `who leads?`. */
  id: string;
  /** TTL of the scheduler's session; it is renewed every third of it. */
  ttlMs: number;
  /** How often a standby tries to take the lock. */
  retryMs: number;
  onElected: () => void;
  onDeposed: () => void;
}

/**
 * Leader election through the catalog (Consul's session + lock recipe): hold a session, try to
 * acquire `keys.leaderLock` with it, renew it while leading; a standby retries every `retryMs`. The
 * session dying (expired, destroyed, catalog reset) releases the lock to a standby and makes this one
 * step down at its next renewal — or earlier, when `holdsLock()` is asked before a commit.
 */
export class Election {
  private session: string | undefined;
  private leading = false;
  /** When the session was last renewed successfully (performance.now()). */
  private renewedAt = 0;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  changes = 0;

  constructor(private readonly opts: ElectionOptions) {}

  start(): void {
    this.loop ??= this.run();
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Asks the catalog whether we still hold the lock (the fence before every commit). */
  async holdsLock(): Promise<boolean> {
    if (!this.leading || !this.session) return false;
    const { value } = await this.opts.catalog.kvGet(keys.leaderLock);
    if (value?.session === this.session) return true;
    this.depose('lock no longer held');
    return false;
  }

  /** The compare every commit carries: the lock must still be held by this term's session. */
  fence(): { key: string; session: string } | undefined {
    return this.leading && this.session ? { key: keys.leaderLock, session: this.session } : undefined;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    this.depose('stopping');
    const session = this.session;
    this.session = undefined;
    // Destroying the session releases the lock at once, so a standby need not wait out the TTL.
    if (session) await this.opts.catalog.destroySession(session).catch(() => undefined);
  }

  private async run(): Promise<void> {
    const { catalog, logger } = this.opts;
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        this.session ??= await catalog.createSession({ name: `scheduler:${this.opts.id}`, ttlMs: this.opts.ttlMs });
        // Standbys renew too: their session must be alive the moment the lock frees.
        if (!(await catalog.renewSession(this.session))) {
          this.session = undefined;
          this.depose('session expired');
          continue;
        }
        this.renewedAt = performance.now();
        if (!this.leading && (await catalog.kvPut(keys.leaderLock, this.opts.id, { acquire: this.session }))) this.elect();
        await sleep(this.leading ? this.opts.ttlMs / 3 : this.opts.retryMs, signal);
      } catch (err) {
        if (signal.aborted) return;
        // A catalog outage: keep the session if it survives; a dead one is noticed by renew/acquire.
        if ((err as { code?: string }).code === 'session_invalid') this.session = undefined;
        logger.warn({ err }, 'leader election: catalog error');
        // A slow or briefly unreachable store is not a lost lock: keep leading while the session
        // renewed last must still be alive (half its TTL, a margin for clock and queueing), and retry
        // sooner. Safe either way: every commit carries the lock as a compare (the fence).
        if (!this.session || performance.now() - this.renewedAt > this.opts.ttlMs / 2) this.depose('catalog error');
        await sleep(Math.min(this.opts.retryMs, this.opts.ttlMs / 10), signal);
      }
    }
  }

  private elect(): void {
    this.leading = true;
    this.changes++;
    this.opts.logger.info({ id: this.opts.id }, 'scheduler: elected leader');
    this.opts.onElected();
  }

  private depose(why: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.changes++;
    this.opts.logger.warn({ id: this.opts.id, why }, 'scheduler: stepped down');
    this.opts.onDeposed();
  }
}
