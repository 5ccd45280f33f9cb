import type { Catalog } from '../../../src/catalog/types.js';
import { keys, type AllocStatus, type Allocation } from '../../../src/scheduler/types.js';

/**
 * A stand-in host agent over the catalog only: registers its host with a liveness session, then
 * every `tickMs` reports its allocations running and healthy (or stopped when asked to stop) — the
 * agent's side of the KV contract, without Docker.
 */
export class FakeAgent {
  session = '';
  private timer: NodeJS.Timeout | undefined;
  readonly failed = new Set<string>();
  /** Jobs every allocation of which fails at once (a crash-looping image). */
  readonly crashing = new Set<string>();

  constructor(
    private readonly catalog: Catalog,
    readonly host: string,
    private readonly opts: { meta?: Record<string, string>; cpu?: number; memory?: number; tickMs?: number } = {},
  ) {}

  async start(): Promise<this> {
    this.session = await this.catalog.createSession({ name: `host:${this.host}`, ttlMs: 60_000 });
    await this.catalog.registerHost(
      { name: this.host, address: '127.0.0.1', meta: this.opts.meta ?? {}, capacity: { cpu: this.opts.cpu ?? 4_000, memory: this.opts.memory ?? 8_192 } },
      this.session,
    );
    this.timer = setInterval(() => void this.tick().catch(() => undefined), this.opts.tickMs ?? 50);
    return this;
  }

  /** The host dies: its session goes (the catalog marks it down) and it stops reporting. */
  async kill(): Promise<void> {
    this.stop();
    await this.catalog.destroySession(this.session);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async tick(): Promise<void> {
    const { value } = await this.catalog.kvList(keys.allocPrefix(this.host));
    const now = Date.now();
    for (const e of value) {
      const a = JSON.parse(e.value) as Allocation;
      const key = keys.allocStatus(this.host, a.id);
      const prev = (await this.catalog.kvGet(key)).value;
      const state: AllocStatus['state'] = a.desired === 'stop' ? 'stopped' : this.failed.has(a.id) || this.crashing.has(a.job) ? 'failed' : 'running';
      if (prev && (JSON.parse(prev.value) as AllocStatus).state === state) continue;
      const healthy = state === 'running';
      const status: AllocStatus = { allocId: a.id, state, containerIds: [], healthy, updatedAt: now, ...(healthy ? { healthySince: now } : {}) };
      await this.catalog.kvPut(key, JSON.stringify(status));
    }
  }
}
