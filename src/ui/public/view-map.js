// The cluster map: every host as a box (alive or down, address, metadata, CPU and memory bars) with
// its replicas inside, coloured by state; follows /v1/map (hosts and compact replica rows) live.
// The boxes are built by map-dom.js; a map the server put in the page is adopted here.
import { v1, watch } from './api.js';
import { chunkHosts, clusterMap, replicasOf, STATUS_ORDER } from './core/map.js';
import { h, errorBox } from './dom.js';
import { appendLater, CHUNK, fragmentOf } from './map-dom.js';
import { markPainted } from './map-marks.js';

/**
 * Renders the map into `el`. `progressive`: the first screen now, the rest a chunk per task (the
 * page's first render); otherwise all at once, so a live update never shows a half map. Returns a
 * function that drops chunks not yet appended (the next render replaces them).
 */
export function renderMap(el, hosts, allocs, progressive = false) {
  const map = clusterMap(hosts, allocs);
  const counts = STATUS_ORDER.filter((s) => map.counts[s]).map((s) => h('span.count', { dataset: { status: s } }, `${map.counts[s]} ${s}`));
  const summary = h('p.summary', {},
    `${map.hosts.length} host${map.hosts.length === 1 ? '' : 's'}`,
    map.down ? h('span.count.down', {}, ` · ${map.down} down`) : null,
    counts.length ? [' · ', ...counts.flatMap((c, i) => (i ? [', ', c] : [c]))] : ' · no replicas');
  const parts = progressive ? chunkHosts(map.hosts, CHUNK) : [map.hosts];
  const grid = h('div.hosts');
  grid.append(fragmentOf(parts[0]));
  el.replaceChildren(summary, grid);
  let next = 1;
  // Measuring forces a layout, of the few boxes in so far: cheaper than laying out the whole map.
  const filled = () => next === parts.length || (grid.lastElementChild?.getBoundingClientRect().top ?? 0) >= innerHeight;
  while (!filled()) grid.append(fragmentOf(parts[next++]));
  // For the first-paint benchmark (bench/ui) and tests: how many hosts the map has, when it was
  // first rendered, when its first window was painted, and when every host is in (data-complete).
  el.dataset.rendered = String(map.hosts.length);
  delete el.dataset.complete;
  if (!performance.getEntriesByName('maestro-map').length) {
    performance.mark('maestro-map');
    markPainted(el, grid);
    // The renderer has produced that frame (a task queued from its requestAnimationFrame); the
    // paint time in maestro-map-painted is when it was shown.
    requestAnimationFrame(() => setTimeout(() => performance.mark('maestro-map-frame'), 0));
  }
  const done = () => markComplete(el);
  if (next === parts.length) {
    done();
    return () => {};
  }
  return appendLater(grid, parts, next, done);
}

/** Every host is in: `data-complete` on the section (tests wait for it), and the page's first such mark. */
function markComplete(section) {
  section.dataset.complete = '';
  if (!performance.getEntriesByName('maestro-map-complete').length) performance.mark('maestro-map-complete');
}

/**
 * Takes over the map the server put in the page or early.js put in from /ui/map.html (map-html.ts:
 * the same markup renderMap builds)
 * as the first render. Returns the view index it shows, where the watch goes on from, and how
 * many hosts the server left out (`data-rest`: they come from /v1/map, appendRest).
 */
function adopt(inline) {
  const index = Number(inline.dataset.index);
  const rest = Number(inline.dataset.rest) || 0;
  for (const e of inline.parentElement.querySelectorAll(':scope > [data-inline]')) delete e.dataset.inline;
  delete inline.dataset.index;
  delete inline.dataset.rest;
  document.getElementById('inline-map-end')?.remove();
  // Parsed with the document, or put in by early.js (from /ui/map.html): the map was rendered by
  // then, and complete when nothing was left out.
  const parsed = performance.getEntriesByName('maestro-map-inserted')[0]?.startTime ?? performance.getEntriesByType('navigation')[0]?.domInteractive ?? performance.now();
  if (!performance.getEntriesByName('maestro-map').length) {
    performance.mark('maestro-map', { startTime: parsed });
    if (!rest) performance.mark('maestro-map-complete', { startTime: parsed });
    markPainted(inline, inline.querySelector('.hosts'));
  }
  return { from: Number.isSafeInteger(index) && index > 0 ? index : 0, rest };
}

/**
 * Appends the hosts the server left out of the page, from a /v1/map answer of the index the page
 * shows (so the hosts already in the page are that answer's first ones), a chunk per task.
 */
function appendRest(section, json) {
  const map = clusterMap(Array.isArray(json?.hosts) ? json.hosts : [], replicasOf(json?.replicas));
  const grid = section.querySelector('.hosts');
  const parts = chunkHosts(map.hosts.slice(grid.childElementCount), CHUNK);
  return appendLater(grid, parts, 0, () => markComplete(section));
}

export function mapView(el, signal) {
  const inline = el.querySelector(':scope > section.map[data-index]');
  const body = inline ?? h('section.map');
  const adopted = inline ? adopt(inline) : undefined;
  // The hosts the server left out come from the watch's first answer when it has the index the
  // page shows; any other answer renders the whole map, as a change does.
  let restAt = adopted?.rest ? adopted.from : undefined;
  let failed;
  let cancel = adopted ? () => {} : undefined;
  // After a whole map the server sent, the first request waits for a change past its index.
  void watch(v1('/map'), signal, (json, index) => {
    failed?.remove();
    cancel?.();
    if (restAt !== undefined && index === restAt) cancel = appendRest(body, json);
    else cancel = renderMap(body, Array.isArray(json?.hosts) ? json.hosts : [], replicasOf(json?.replicas), cancel === undefined);
    restAt = undefined;
  }, (err) => {
    failed?.remove();
    failed = errorBox(err);
    el.prepend(failed);
  }, adopted && !adopted.rest ? adopted.from : 0);
  if (!inline) el.replaceChildren(h('h1', {}, 'Cluster'), body);
}
