/**
 * Summarises a V8 `.cpuprofile` (as written by `run.js --cpu-prof <dir>`): self time per function
 * and per source file, busiest first, idle excluded from the shares.
 *   node .build/<you>/bench/proxy/profile-summary.js <file.cpuprofile> [--top 30]
 */
import { parseArgs } from 'node:util';
import { readProfile } from '../cpuprofile.js';


const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '30' } } });
const profile = readProfile(positionals[0]);
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

const fns = new Map<string, number>();
const files = new Map<string, number>();
let busy = 0;
let idle = 0;
for (const [id, us] of self) {
  const f = byId.get(id)!.callFrame;
  if (f.functionName === '(idle)') {
    idle += us;
    continue;
  }
  busy += us;
  const file = f.url ? f.url.replace(/^.*\/(src|node:)/, '$1') : f.functionName;
  const key = `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
  fns.set(key, (fns.get(key) ?? 0) + us);
  files.set(file, (files.get(file) ?? 0) + us);
}

const top = Number(values.top);
const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)} %`;
console.log(`busy ${(busy / 1e6).toFixed(2)} s, idle ${(idle / 1e6).toFixed(2)} s\n\nself time by function:`);
for (const [k, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us)}  ${k}`);
console.log('\nself time by file:');
for (const [k, us] of [...files].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us)}  ${k}`);
