// The map's host boxes as DOM (the same markup map-html.ts renders on the server, element for
// element: the page adopts the server's copy), and the chunked appending of the hosts past the
// first window.
import { barTexts, hostState, jobHref, replicaTitle } from './core/map.js';
import { h } from './dom.js';

/**
 * The first render puts in chunks of hosts (a host counts 10 elements, a replica 1) until they
 * reach the bottom of the window, paints, and appends the rest a chunk per task after: the first
 * frame builds, lays out and paints one window of the map, not all 2,000 replicas.
 */
export const CHUNK = 250;

function bar(label, b, unit) {
  const { title, value } = barTexts(label, b, unit);
  return h('div.bar', { title },
    h('span.bar-label', {}, label),
    // A meter, not a styled width: the server's copy of the map (map-html.ts) is HTML under a CSP
    // that refuses inline style attributes.
    h(`meter.track${b.percent >= 90 ? '.hot' : ''}`, { max: 100, value: b.percent }),
    h('span.bar-value', {}, value));
}

// Built by hand, not with h(): 2,000 of these are most of the map's DOM. Text only as text.
function replica(r) {
  const a = document.createElement('a');
  a.className = `replica tone-${r.tone}`;
  a.href = jobHref(r.job);
  a.title = replicaTitle(r);
  a.setAttribute('data-instance', r.instance);
  a.setAttribute('data-alloc', r.id);
  a.setAttribute('data-status', r.status);
  a.textContent = r.instance;
  return a;
}

function hostBox(host) {
  const state = hostState(host);
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

export function fragmentOf(hosts) {
  const f = document.createDocumentFragment();
  for (const host of hosts) f.append(hostBox(host));
  return f;
}

/**
 * After the next frame, appends `parts[next…]` (chunks of hosts) to `grid`, one per task (input
 * and the live watch run between), then calls `done()`. Returns a function that drops the chunks
 * not yet appended (the next render replaces them).
 */
export function appendLater(grid, parts, next, done) {
  let cancelled = false;
  const more = () => {
    if (cancelled) return;
    if (next < parts.length) grid.append(fragmentOf(parts[next++]));
    if (next < parts.length) setTimeout(more, 0);
    else done();
  };
  requestAnimationFrame(() => setTimeout(more, 0));
  return () => {
    cancelled = true;
  };
}

