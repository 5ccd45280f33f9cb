// The cluster map: every host as a box (alive or down, address, metadata, CPU and memory bars) with
// its replicas inside, coloured by state; follows /v1/hosts and /v1/allocations live.
import { v1, watchAll } from './api.js';
import { clusterMap } from './core/map.js';
import { h, errorBox } from './dom.js';

const ORDER = ['running', 'starting', 'unhealthy', 'failed', 'stopping', 'stopped'];

function bar(label, b, unit) {
  return h('div.bar', { title: `${label}: ${b.used}${unit} of ${b.capacity}${unit} used` },
    h('span.bar-label', {}, label),
    h('span.track', {}, h(`span.fill${b.percent >= 90 ? '.hot' : ''}`, { style: { width: `${b.percent}%` } })),
    h('span.bar-value', {}, `${b.used}/${b.capacity}${unit}`));
}

function replica(r) {
  return h(`a.replica.tone-${r.tone}`, {
    href: `#/jobs/${encodeURIComponent(r.job)}`,
    title: `${r.instance} (${r.id}): ${r.status}${r.message ? ` — ${r.message}` : ''}`,
    dataset: { instance: r.instance, alloc: r.id, status: r.status },
  }, r.instance);
}

function hostBox(host) {
  const state = !host.known ? 'unknown' : host.alive ? 'alive' : 'down';
  return h(`article.host.${state}`, { dataset: { host: host.name } },
    h('header', {},
      h('strong.host-name', {}, host.name),
      h(`span.badge.tone-${host.alive ? 'ok' : 'bad'}`, {}, state),
      host.address ? h('span.addr', {}, host.address) : null),
    host.meta.length ? h('div.meta', {}, host.meta.map(([k, v]) => h('span.chip', {}, `${k}=${v}`))) : null,
    host.known ? [bar('CPU', host.cpu, ''), bar('mem', host.memory, ' MB')] : h('p.hint', {}, 'not in the catalog: its replicas are listed until they move'),
    h('div.host-replicas', {}, host.replicas.length ? host.replicas.map(replica) : h('span.hint', {}, 'no replicas')));
}

export function renderMap(el, hosts, allocs) {
  const map = clusterMap(hosts, allocs);
  const counts = ORDER.filter((s) => map.counts[s]).map((s) => h('span.count', { dataset: { status: s } }, `${map.counts[s]} ${s}`));
  const summary = h('p.summary', {},
    `${map.hosts.length} host${map.hosts.length === 1 ? '' : 's'}`,
    map.down ? h('span.count.down', {}, ` · ${map.down} down`) : null,
    counts.length ? [' · ', ...counts.flatMap((c, i) => (i ? [', ', c] : [c]))] : ' · no replicas');
  el.replaceChildren(summary, h('div.hosts', {}, map.hosts.map(hostBox)));
  // For the first-paint benchmark (bench/ui) and tests: how much the map showed, when it was first
  // rendered, and when that frame was painted (a task queued from the frame's callback runs after it).
  el.dataset.rendered = String(map.hosts.length);
  if (!performance.getEntriesByName('maestro-map').length) {
    performance.mark('maestro-map');
    requestAnimationFrame(() => setTimeout(() => performance.mark('maestro-map-painted'), 0));
  }
}

export function mapView(el, signal) {
  const body = h('section.map');
  let failed;
  watchAll([v1('/hosts'), v1('/allocations')], signal, ([hosts, allocs]) => {
    failed?.remove();
    renderMap(body, hosts.hosts ?? [], allocs.allocations ?? []);
  }, (err) => {
    failed?.remove();
    failed = errorBox(err);
    el.prepend(failed);
  });
  el.replaceChildren(h('h1', {}, 'Cluster'), body);
}
