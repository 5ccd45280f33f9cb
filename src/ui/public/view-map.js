// The cluster map: every host as a box (alive or down, address, metadata, CPU and memory bars) with
// its replicas inside, coloured by state; follows /v1/map (hosts and compact replica rows) live.
import { v1, watch } from './api.js';
import { chunkHosts, clusterMap, jobHref, replicasOf } from './core/map.js';
import { h, errorBox } from './dom.js';

// The summary's order (map-html.ts, which renders the same map on the server, has the same list).
const ORDER = ['running', 'starting', 'unhealthy', 'failed', 'stopping', 'stopped'];
/**
 * The first render puts in chunks of hosts (a host counts 10 elements, a replica 1) until they
 * reach the bottom of the window, paints, and appends the rest a chunk per task after: the first
 * frame builds, lays out and paints one window of the map, not all 2,000 replicas.
 */
const CHUNK = 250;

function bar(label, b, unit) {
  return h('div.bar', { title: `${label}: ${b.used}${unit} of ${b.capacity}${unit} used` },
    h('span.bar-label', {}, label),
    // A meter, not a styled width: the server's copy of the map (map-html.ts) is HTML under a CSP
    // that refuses inline style attributes.
    h(`meter.track${b.percent >= 90 ? '.hot' : ''}`, { max: 100, value: b.percent }),
    h('span.bar-value', {}, `${b.used}/${b.capacity}${unit}`));
}

// Built by hand, not with h(): 2,000 of these are most of the map's DOM. Text only as text.
function replica(r) {
  const a = document.createElement('a');
  a.className = `replica tone-${r.tone}`;
  a.href = jobHref(r.job);
  a.title = `${r.instance} (${r.id}): ${r.status}${r.message ? ` — ${r.message}` : ''}`;
  a.setAttribute('data-instance', r.instance);
  a.setAttribute('data-alloc', r.id);
  a.setAttribute('data-status', r.status);
  a.textContent = r.instance;
  return a;
}

function hostBox(host) {
  const state = !host.known ? 'unknown' : host.alive ? 'alive' : 'down';
  const replicas = h('div.host-replicas');
  // A space between replicas: they are inline boxes, and a line may break only at a space.
  if (host.replicas.length) for (const r of host.replicas) replicas.append(replica(r), ' ');
  else replicas.append(h('span.hint', {}, 'no replicas'));
  return h(`article.host.${state}`, { dataset: { host: host.name } },
    h('header', {},
      // elementtiming: when this name was painted (the first-paint benchmark reads it, markPainted).
      h('strong.host-name', { elementtiming: 'host' }, host.name),
      h(`span.badge.tone-${host.alive ? 'ok' : 'bad'}`, {}, state),
      host.address ? h('span.addr', {}, host.address) : null),
    host.meta.length ? h('div.meta', {}, host.meta.map(([k, v]) => h('span.chip', {}, `${k}=${v}`))) : null,
    host.known ? [bar('CPU', host.cpu, ''), bar('mem', host.memory, ' MB')] : h('p.hint', {}, 'not in the catalog: its replicas are listed until they move'),
    replicas);
}

function fragmentOf(hosts) {
  const f = document.createDocumentFragment();
  for (const host of hosts) f.append(hostBox(host));
  return f;
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
      grid.append(fragmentOf(parts[next++]));
      if (next < parts.length) setTimeout(more, 0);
      else done();
    };
    requestAnimationFrame(() => setTimeout(more, 0));
  }
  return () => {
    cancelled = true;
  };
}

/**
 * Marks `maestro-map-painted` (once per page, for the first-paint benchmark in bench/ui and for
 * tests) at the time the first window of the map was painted: the latest paint time (Element
 * Timing, `elementtiming="host"` on each host's name) of the hosts whose box starts inside the
 * window, once the hosts reach past the window or all are in. The same measure for a map the
 * server put in the page and for one built here.
 */
function markPainted(section, grid) {
  if (!PerformanceObserver.supportedEntryTypes?.includes('element')) return;
  const paintedAt = new Map();
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.identifier === 'host' && e.element) paintedAt.set(e.element, e.renderTime || e.loadTime);
    const names = [];
    let filled = section.dataset.complete !== undefined;
    for (const host of grid.children) {
      if (host.getBoundingClientRect().top >= innerHeight) {
        filled = true;
        break;
      }
      names.push(host.querySelector('.host-name'));
    }
    if (!filled || !names.length || !names.every((n) => paintedAt.has(n))) return;
    observer.disconnect();
    if (performance.getEntriesByName('maestro-map-painted').length) return;
    performance.mark('maestro-map-painted', { startTime: Math.max(...names.map((n) => paintedAt.get(n))), detail: { hosts: names.length, filled: true } });
  });
  observer.observe({ type: 'element', buffered: true });
}

/** Appends `hosts` (elements) to `grid` about CHUNK elements per task; then `done()`. Returns a cancel. */
function appendInChunks(grid, hosts, done) {
  let next = 0;
  let cancelled = false;
  const more = () => {
    if (cancelled) return;
    const f = document.createDocumentFragment();
    for (let elements = 0; next < hosts.length && elements < CHUNK; next++) {
      elements += 10 + (hosts[next].querySelector('.host-replicas')?.childElementCount ?? 0);
      f.append(hosts[next]);
    }
    grid.append(f);
    if (next < hosts.length) setTimeout(more, 0);
    else done();
  };
  setTimeout(more, 0);
  return () => {
    cancelled = true;
  };
}

/**
 * Takes over the map the server put in the page (map-html.ts: the same markup renderMap builds)
 * as the first render: the hosts past its first frame come from its template, a chunk per task.
 * Returns the view index it shows, where the watch goes on from, and a cancel for the chunks.
 */
function adopt(inline) {
  const index = Number(inline.dataset.index);
  for (const e of inline.parentElement.querySelectorAll(':scope > [data-inline]')) delete e.dataset.inline;
  delete inline.dataset.index;
  document.getElementById('inline-map-end')?.remove();
  const rest = document.getElementById('inline-map-rest');
  rest?.remove();
  const grid = inline.querySelector('.hosts');
  // Parsed with the document: the map was rendered by then, and complete when it had no rest.
  const parsed = performance.getEntriesByType('navigation')[0]?.domInteractive ?? performance.now();
  const first = !performance.getEntriesByName('maestro-map').length;
  if (first) {
    performance.mark('maestro-map', { startTime: parsed });
    markPainted(inline, grid);
  }
  const done = () => {
    inline.dataset.complete = '';
    if (first) performance.mark('maestro-map-complete', rest ? undefined : { startTime: parsed });
  };
  let cancel = () => {};
  if (rest) cancel = appendInChunks(grid, [...rest.content.children], done);
  else done();
  return { from: Number.isSafeInteger(index) && index > 0 ? index : 0, cancel };
}

export function mapView(el, signal) {
  const inline = el.querySelector(':scope > section.map[data-index]');
  const body = inline ?? h('section.map');
  const adopted = inline ? adopt(inline) : { from: 0, cancel: undefined };
  const from = adopted.from;
  let failed;
  let cancel = adopted.cancel;
  // The same path early.js asked for while the page loaded: the watch's first answer is that one.
  // After a map the server sent, the first request waits for a change past the index it showed.
  void watch(v1('/map'), signal, (json) => {
    failed?.remove();
    cancel?.();
    cancel = renderMap(body, Array.isArray(json?.hosts) ? json.hosts : [], replicasOf(json?.replicas), cancel === undefined);
  }, (err) => {
    failed?.remove();
    failed = errorBox(err);
    el.prepend(failed);
  }, from);
  if (!inline) el.replaceChildren(h('h1', {}, 'Cluster'), body);
}
