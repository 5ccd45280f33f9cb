/**
 * Chromium trace events (pure): self time per event name on one thread — wall (`dur`) and thread
 * CPU (`tdur`) — and the kind of work each name is, for bench/ui/trace.ts.
 */
export interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  /** Thread (CPU) time of a complete event, µs. */
  tdur?: number;
  pid: number;
  tid: number;
  args?: { name?: string };
}

const KINDS: Array<[RegExp, string]> = [
  [/^(ParseHTML|HTMLDocumentParser::|DecodedDataDocumentParser)/, 'HTML parse'],
  [/^(v8\.compile|V8\.CompileCode|v8\.produceModuleCache|V8\.BytecodeBudgetInterrupt|V8\.Compile)/, 'script compile'],
  [/GC|Scavenge/, 'GC'],
  [/^(UpdateLayoutTree|RecalculateStyles|ParseAuthorStyleSheet|Document::updateStyle|Document::rebuildLayoutTree)/, 'style'],
  [/^Layout$/, 'layout'],
  [/^(PrePaint|Paint|Layerize|Commit|UpdateLayer|CompositeLayers|PaintArtifactCompositor)/, 'paint'],
  [/^(v8\.|V8\.|FunctionCall|EvaluateScript|TimerFire|EventDispatch|FireAnimationFrame|RunMicrotasks|BlinkScheduler_PerformMicrotaskCheckpoint|XHR|ResourceReceive)/, 'script'],
  [/^(Receive mojo message|AgentSchedulingGroup|RenderFrameImpl|DocumentLoader|FrameLoader|LocalWindowProxy|ContextCreatedNotification|InstallConditionalFeatures|NavigationBodyLoader)/, 'renderer start-up, navigation commit'],
  [/^(ThreadControllerImpl::RunTask|RunTask)$/, 'task bookkeeping, untraced work'],
];

/** The kind of work a trace event's name stands for (its own time, not its children's). */
export function kindOf(name: string): string {
  for (const [pattern, kind] of KINDS) if (pattern.test(name)) return kind;
  return 'other';
}

export interface SelfTime {
  wall: number;
  cpu: number;
}

/**
 * Self time per event name of one thread's complete events (`ph: 'X'`) within `window` (µs):
 * an event's time minus its children's, wall clipped to the window and CPU scaled with it.
 */
export function selfTimes(events: readonly TraceEvent[], window: { from: number; to: number }): Map<string, SelfTime> {
  const spans = events
    .filter((e) => e.ph === 'X' && e.dur !== undefined && e.ts + e.dur > window.from && e.ts < window.to)
    .sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
  const out = new Map<string, SelfTime>();
  const inside = (e: TraceEvent): { wall: number; cpu: number } => {
    const wall = Math.max(0, Math.min(e.ts + e.dur!, window.to) - Math.max(e.ts, window.from));
    return { wall, cpu: e.dur! > 0 ? ((e.tdur ?? 0) * wall) / e.dur! : 0 };
  };
  const stack: Array<{ e: TraceEvent; end: number; wall: number; cpu: number }> = [];
  const close = (upTo: number): void => {
    while (stack.length && stack[stack.length - 1]!.end <= upTo) {
      const top = stack.pop()!;
      const own = inside(top.e);
      const t = out.get(top.e.name) ?? { wall: 0, cpu: 0 };
      t.wall += Math.max(0, own.wall - top.wall);
      t.cpu += Math.max(0, own.cpu - top.cpu);
      out.set(top.e.name, t);
      const parent = stack[stack.length - 1];
      if (parent) {
        parent.wall += own.wall;
        parent.cpu += own.cpu;
      }
    }
  };
  for (const e of spans) {
    close(e.ts);
    stack.push({ e, end: e.ts + e.dur!, wall: 0, cpu: 0 });
  }
  close(Infinity);
  return out;
}
