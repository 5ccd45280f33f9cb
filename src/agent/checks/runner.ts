/**
 * Runs the agent's checks: one probe loop per target (first probe at once, then every interval, never
 * two at a time for one target), results kept by allocation, and `onChange` called when a verdict or
 * output changes — the agent then reports the allocation's status, and the registrar re-derives the
 * container's instances (it owns their health in the catalog). `set` is called after every reconcile
 * pass with the targets the pass found; loops of targets no longer wanted are stopped, probes in flight
 * cancelled.
 */
import type { CheckResult } from '../../state/index.js';
import { applyOutcome, initialResult, sameTarget, sameVerdict, type CheckTarget } from './policy.js';
import type { Prober } from './probe.js';

export interface CheckRunnerOptions {
  probe: Prober;
  onChange: (target: CheckTarget, result: CheckResult) => void;
  now?: () => number;
}

interface Loop {
  target: CheckTarget;
  result: CheckResult;
  timer?: NodeJS.Timeout;
  abort: AbortController;
}

export class CheckRunner {
  private readonly loops = new Map<string, Loop>();
  private readonly now: () => number;
  private stopped = false;

  constructor(private readonly opts: CheckRunnerOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Replaces the targets; `previous` seeds a target's result after an agent restart (same container). */
  set(targets: readonly CheckTarget[], previous: (allocId: string) => { containerId?: string; check?: CheckResult } | undefined): void {
    if (this.stopped) return;
    const wanted = new Map(targets.map((t) => [t.allocId, t]));
    for (const [id, loop] of this.loops) {
      const t = wanted.get(id);
      if (!t || !sameTarget(t, loop.target)) this.end(id);
    }
    for (const t of targets) {
      if (this.loops.has(t.allocId)) continue;
      const prev = previous(t.allocId);
      const loop: Loop = { target: t, result: initialResult(prev?.check, prev?.containerId === t.containerId, this.now()), abort: new AbortController() };
      this.loops.set(t.allocId, loop);
      void this.run(loop);
    }
  }

  /** The latest result of each allocation's check. */
  results(): Map<string, CheckResult> {
    return new Map([...this.loops].map(([id, l]) => [id, l.result]));
  }

  result(allocId: string): CheckResult | undefined {
    return this.loops.get(allocId)?.result;
  }

  stop(): void {
    this.stopped = true;
    for (const id of [...this.loops.keys()]) this.end(id);
  }

  private end(id: string): void {
    const loop = this.loops.get(id);
    if (!loop) return;
    clearTimeout(loop.timer);
    loop.abort.abort();
    this.loops.delete(id);
  }

  private async run(loop: Loop): Promise<void> {
    const { target } = loop;
    const started = this.now();
    let outcome: { ok: boolean; output: string };
    try {
      outcome = await this.opts.probe(target.spec, target.address, loop.abort.signal);
    } catch (err) {
      outcome = { ok: false, output: (err as Error).message };
    }
    if (this.loops.get(target.allocId) !== loop) return; // ended meanwhile
    const at = this.now();
    const next = applyOutcome(loop.result, { ...outcome, at, durationMs: Math.max(0, at - started) });
    const changed = !sameVerdict(loop.result, next);
    loop.result = next;
    if (changed) this.opts.onChange(target, next);
    loop.timer = setTimeout(() => void this.run(loop), target.spec.intervalMs);
    loop.timer.unref();
  }
}
