/**
 * Where a DNS-over-TCP connection's CPU goes in Maestro: summarises the V8 profile that
 * `tcp-churn.js --only maestro --cpu-prof DIR` writes, counting only samples from the first accepted
 * connection on (the table build at start-up is not the churn's cost), by category — Maestro's own
 * code, Node's net/stream JavaScript, native work called from JavaScript (the syscalls: write, close,
 * shutdown), the rest outside JavaScript (libuv's accept, read and epoll; V8's runtime), and GC —
 * then the busiest functions.
 *   node .build/<you>/bench/dns/tcp-churn-profile.js <file.cpuprofile> [--top 25]
 */
import { parseArgs } from 'node:util';
import { readProfile, type ProfileNode } from '../cpuprofile.js';


const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
const profile = readProfile(positionals[0]!);
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const underAccept = (id: number): boolean => {
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const f = byId.get(at)!.callFrame;
    if (f.functionName === 'onconnection' && f.url === 'node:net') return true;
  }
  return false;
};

function category(f: ProfileNode['callFrame']): string {
  if (f.functionName === '(garbage collector)') return 'garbage collector';
  if (f.functionName === '(program)') return 'outside JavaScript (libuv: epoll, accept, read; V8 runtime)';
  if (/\/src\/dns\//.test(f.url)) return "Maestro's DNS code (src/dns)";
  if (f.url.startsWith('node:')) return "Node's JavaScript (net, streams, events, timers, ticks)";
  if (f.url === '') return 'native calls from JavaScript (write, close, shutdown syscalls)';
  return 'other';
}

let started = false;
let busy = 0;
const cats = new Map<string, number>();
const fns = new Map<string, number>();
profile.samples.forEach((id, i) => {
  started ||= underAccept(id);
  const f = byId.get(id)!.callFrame;
  if (!started || f.functionName === '(idle)') return;
  const us = profile.timeDeltas[i] ?? 0;
  busy += us;
  const cat = category(f);
  cats.set(cat, (cats.get(cat) ?? 0) + us);
  const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(src\/)/, '$1')}:${f.lineNumber + 1}`;
  fns.set(key, (fns.get(key) ?? 0) + us);
});
if (busy === 0) throw new Error('no sample after the first accepted connection');
const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)} %`;
console.log(`busy ${(busy / 1e6).toFixed(2)} s from the first accepted connection on\n\nby category:`);
for (const [k, us] of [...cats].sort((a, b) => b[1] - a[1])) console.log(`${pct(us)}  ${k}`);
console.log('\nby function:');
for (const [k, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) console.log(`${pct(us)}  ${k}`);
