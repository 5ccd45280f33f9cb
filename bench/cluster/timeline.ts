/**
 * Where a run's wall time went inside the scheduler, from server-proc's pass timeline (one JSON line
 * per committed pass): totals of each phase — waiting for the view to show the previous commit,
 * applying changes, planning, committing, idle between passes — and the commit's transactions
 * (how many, their size, their round trip, how many overlapped).
 */
import { existsSync, readFileSync } from 'node:fs';

interface PassLine {
  endedAt: number;
  jobs: number;
  full: boolean;
  ms: number;
  placed: number;
  idleMs: number;
  timing?: { waitMs: number; applyMs: number; planMs: number; commitMs: number; txns: number; ops: number; peakInFlight: number; txnMs: number };
}

export function readTimeline(file: string): PassLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as PassLine);
}

const s1 = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function summarise(passes: PassLine[]): string {
  if (passes.length === 0) return 'scheduler timeline: no committed pass recorded (not --server proc?)';
  const sum = (f: (p: PassLine) => number) => passes.reduce((n, p) => n + f(p), 0);
  const t = (k: keyof NonNullable<PassLine['timing']>) => sum((p) => p.timing?.[k] ?? 0);
  const txns = t('txns');
  const lines = [
    `scheduler timeline: ${passes.length} passes (${passes.filter((p) => p.full).length} full), ${sum((p) => p.placed).toLocaleString('en-US')} placed;`,
    `  wait for the view ${s1(t('waitMs'))}, apply ${s1(t('applyMs'))}, plan ${s1(t('planMs'))}, commit ${s1(t('commitMs'))}, idle between passes ${s1(sum((p) => p.idleMs))}`,
    `  ${txns.toLocaleString('en-US')} txns, ${txns ? Math.round(t('ops') / txns) : 0} ops each, ${txns ? Math.round(t('txnMs') / txns) : 0} ms round trip each, up to ${Math.max(...passes.map((p) => p.timing?.peakInFlight ?? 0))} in flight`,
  ];
  const longest = [...passes].sort((a, b) => b.ms - a.ms).slice(0, 5);
  for (const p of longest) {
    const x = p.timing;
    lines.push(`  pass ending at ${s1(p.endedAt)}: ${p.jobs} jobs, ${p.placed} placed, ${Math.round(p.ms)} ms` + (x ? ` (wait ${Math.round(x.waitMs)}, apply ${Math.round(x.applyMs)}, plan ${Math.round(x.planMs)}, commit ${Math.round(x.commitMs)}: ${x.txns} txns)` : ''));
  }
  return lines.join('\n');
}
