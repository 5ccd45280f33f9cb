// The cluster map: every host as a box (alive or down, address, metadata, CPU and memory bars) with
// its replicas inside, coloured by state; follows /v1/map (hosts and compact replica rows) live.
import { v1, watch } from './api.js';
import { chunkHosts, clusterMap, replicasOf } from './core/map.js';
import { hostsHtml } from './core/map-html.js';
import { h, errorBox } from './dom.js';

const ORDER = ['running', 'starting', 'unhealthy', 'failed', 'stopping', 'stopped'];
/**
 * The first render puts in chunks of hosts (a host counts 10 elements, a replica 1) until they
 * reach the bottom of the window, paints, and appends the rest a chunk per task after: the first
 * frame builds, lays out and paints one window of the map, not all 2,000 replicas.
 */
const CHUNK = 250;

/**
 * Appends host boxes to the grid as HTML text (core/map-html.js escapes every value of the
 * cluster's): the parser builds them far faster than DOM calls from script would. Bars get their
 * width through CSSOM, which the page's CSP allows (style attributes in markup it refuses).
 */
function appendHosts(grid, hosts) {
  const from = grid.childElementCount;
  grid.insertAdjacentHTML('beforeend', hostsHtml(hosts));
  const boxes = grid.children;
  for (let i = from; i < boxes.length; i++) {
    for (const fill of boxes[i].getElementsByClassName('fill')) fill.style.width = `${fill.dataset.percent}%`;
  }
}

/**
 * Renders the map into `el`. `progressive`: the first screen now, the rest a chunk per task (the
 * page's first render); otherwise all at once, so a live update never shows a half map. Returns a
 * function that drops chunks not yet appended (the next render replaces them).
 */
export function renderMap(el, hosts, allocs, progressive = false) {
  const map = clusterMap(hosts, allocs);
  const counts = ORDER.filter((s) => map.counts[s]).map((s) => h('span.count', { dataset: { status: s } }, `${map.counts[s]} ${s}`));
  const summary = h('p.summary', {},
    `${map.hosts.length} host${map.hosts.length === 1 ? '' : 's'}`,
    map.down ? h('span.count.down', {}, ` · ${map.down} down`) : null,
    counts.length ? [' · ', ...counts.flatMap((c, i) => (i ? [', ', c] : [c]))] : ' · no replicas');
  const parts = progressive ? chunkHosts(map.hosts, CHUNK) : [map.hosts];
  const grid = h('div.hosts');
  appendHosts(grid, parts[0]);
  el.replaceChildren(summary, grid);
  let next = 1;
  // Measuring forces a layout, of the few boxes in so far: cheaper than laying out the whole map.
  const filled = () => next === parts.length || (grid.lastElementChild?.getBoundingClientRect().top ?? 0) >= innerHeight;
  while (!filled()) appendHosts(grid, parts[next++]);
  // For the first-paint benchmark (bench/ui) and tests: how many hosts the map has, when it was
  // first rendered, when that frame was painted (a task queued from the frame's callback runs after
  // it), and when every host is in (data-complete).
  el.dataset.rendered = String(map.hosts.length);
  delete el.dataset.complete;
  const first = grid.childElementCount;
  if (!performance.getEntriesByName('maestro-map').length) {
    performance.mark('maestro-map');
    requestAnimationFrame(() => setTimeout(() => {
      // What that frame showed: hosts in the page, and whether they reached the bottom of the window.
      performance.mark('maestro-map-painted', { detail: { hosts: first, filled: first === map.hosts.length || grid.children[first - 1]?.getBoundingClientRect().top >= innerHeight } });
    }, 0));
  }
  let cancelled = false;
  const done = () => {
    el.dataset.complete = '';
    if (!performance.getEntriesByName('maestro-map-complete').length) performance.mark('maestro-map-complete');
  };
  if (next === parts.length) done();
  else {
    // After the first frame is painted, one chunk per task: input and the live watch run between.
    const more = () => {
      if (cancelled) return;
      appendHosts(grid, parts[next++]);
      if (next < parts.length) setTimeout(more, 0);
      else done();
    };
    requestAnimationFrame(() => setTimeout(more, 0));
  }
  return () => {
    cancelled = true;
  };
}

export function mapView(el, signal) {
  const body = h('section.map');
  let failed;
  let cancel;
  // The same path early.js asked for while the page loaded: the watch's first answer is that one.
  void watch(v1('/map'), signal, (json) => {
    failed?.remove();
    cancel?.();
    cancel = renderMap(body, Array.isArray(json?.hosts) ? json.hosts : [], replicasOf(json?.replicas), cancel === undefined);
  }, (err) => {
    failed?.remove();
    failed = errorBox(err);
    el.prepend(failed);
  });
  el.replaceChildren(h('h1', {}, 'Cluster'), body);
}
