/**
 * First paint of the web UI's cluster map for 100 hosts and 2,000 replicas, measured in chromium.
 * The records are simulated (written into the embedded store as the agents and the scheduler would:
 * hosts with sessions, jobs, allocations with statuses and events) behind a real API; the page is
 * the real one. "First paint" is from the navigation's start to the paint of the first window of
 * the map: the latest paint time (Element Timing) of the hosts whose box starts inside the window,
 * which the page marks as `maestro-map-painted` (map-marks.js, markPainted).
 * The API has no token, as `maestro up` on loopback: it puts the map in the page (map-html.ts).
 * `--token`: the API asks for one (the page has it in sessionStorage, as after the user gave it once
 * in this tab) and the page puts in the same markup from /ui/map.html, as it does behind a token.
 *
 * The browser is chromium as a user runs it: driven over the bare DevTools protocol (cdp.ts; no
 * automation attached to the page), its HTTP cache emptied before each round (every round is a first
 * visit), a new tab per round (round.ts). Each navigation starts when the machine is at rest (at-rest.ts), as
 * when a user opens the page in a browser in use; `--back-to-back`: at once after the previous
 * round's tab closed, while chromium is still tearing its renderer down and starting the next one.
 * The API runs in a process of its own, as a real one does, warmed first (`--cold`: not): 40
 * requests for /v1/map and the page (the first answers run cold code, 20–270 ms instead of 4–5), and
 * one round printed but not counted (the browser's first page pays its own start-up).
 * Printed beside the issue's 300 ms goal, median and worst.
 * Usage: node .build/x/bench/ui/first-paint.js [rounds] [--back-to-back] [--cold] [--token] [--viewport=WxH]
 */
import { CHROMIUM } from '../../test/ui/browser.js';
import { launchChromium } from './cdp.js';
import { loadRound } from './round.js';
import { simulatedClusterProcess } from './simulated-cluster.js';

const args = process.argv.slice(2);
const ROUNDS = Number(args.find((a) => /^\d+$/.test(a)) ?? 9);
const WARM_UP = args.includes('--cold') ? 0 : 1;
const AT_REST = !args.includes('--back-to-back');
const GOAL_MS = 300;
// The page's viewport: 1600×1000 unless `--viewport=WxH` (a maximised browser on a 1080p screen:
// 1920x969).
const [width, height] = (args.find((a) => a.startsWith('--viewport='))?.slice('--viewport='.length) ?? '1600x1000').split('x').map(Number);
if (!(width! > 0 && height! > 0)) throw new Error('--viewport wants WIDTHxHEIGHT, e.g. 1920x969');
const VIEWPORT = { width: width!, height: height! };

const TOKEN = args.includes('--token') ? 'bench-token' : undefined;
const cluster = await simulatedClusterProcess(TOKEN);
// An API that has been serving: its view has applied the seeded records and the code of /v1/map
// and of the page is compiled.
const auth: Record<string, string> = TOKEN ? { authorization: `Bearer ${TOKEN}` } : {};
if (WARM_UP) {
  for (let i = 0; i < 40; i++) {
    await (await fetch(new URL('../v1/map', cluster.url), { headers: auth })).arrayBuffer();
    await (await fetch(cluster.url)).arrayBuffer();
  }
}
if (!CHROMIUM) throw new Error('chromium is needed (apt-get install chromium, or MAESTRO_CHROMIUM)');
const browser = await launchChromium(CHROMIUM, VIEWPORT);

const painted: number[] = [];
const frames: number[] = [];
const completes: number[] = [];
let shown = '';
let restless = 0;
const f = (n: number | null): string => (n !== null && Number.isFinite(n) ? n.toFixed(0) : '-');
for (let i = 0; i < ROUNDS + WARM_UP; i++) {
  const r = await loadRound(browser, { url: cluster.url, token: TOKEN, atRest: AT_REST }).catch((err: Error) => { throw new Error(`round ${i}: ${err.message}`); });
  // The mark stands for a full window: every host whose box starts inside it was painted by then.
  if (!(r.firstHosts > 0) || !r.filled) throw new Error(`round ${i}: the mark of the map's first window names no hosts`);
  shown = `${r.hosts} hosts, ${r.replicas} replicas on the page, window ${r.window}`;
  const rest = AT_REST ? (r.rested ? '' : ' (the machine did not come to rest within 15 s)') : '';
  console.log(`${i < WARM_UP ? 'warm-up' : `round ${i - WARM_UP}`}: document ${f(r.doc)} ms, ${r.dataSent === null ? '' : `map asked ${f(r.dataSent)} / in ${f(r.dataEnd)} ms, `}map parsed ${f(r.rendered)} ms, its frame produced ${f(r.frame)} ms, map painted ${f(r.painted)} ms (${r.firstHosts} hosts, a full window), every host in ${f(r.complete)} ms${rest}`);
  if (i < WARM_UP) continue;
  if (AT_REST && !r.rested) restless++;
  painted.push(r.painted);
  if (r.frame !== null) frames.push(r.frame);
  completes.push(r.complete);
}
await browser.close();
await cluster.stop();

const median = (xs: number[]): string => (xs.length ? [...xs].sort((a, b) => a - b)[xs.length >> 1]!.toFixed(0) : '-');
const worst = (xs: number[]): string => (xs.length ? Math.max(...xs).toFixed(0) : '-');
console.log(`${shown}; the map ${TOKEN ? 'put into the page from /ui/map.html (an API with a token)' : 'in the page as the API sent it (no token)'}`);
console.log(`each navigation ${AT_REST ? `started with the machine at rest${restless ? ` (${restless} rounds did not reach rest within 15 s)` : ''}` : 'started back to back, as the previous tab closed'}`);
console.log(`first paint of the map (navigation start → map painted): median ${median(painted)} ms, worst ${worst(painted)} ms over ${ROUNDS} rounds${WARM_UP ? ' after a warm-up' : ', the first cold'} (goal ${GOAL_MS} ms)`);
console.log(`its frame produced by the renderer (navigation start → a task queued from that frame's requestAnimationFrame): median ${median(frames)} ms`);
console.log(`every host and replica in the page (the rest appended after the first screen): median ${median(completes)} ms`);
