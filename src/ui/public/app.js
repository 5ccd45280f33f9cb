// The page: a hash router over the views (#/ map, #/jobs, #/jobs/NAME, #/services, #/logs/ID).
// Each view gets a fresh AbortSignal that ends its watches and streams when the user leaves it.
// Only the map is imported up front (it is what the page opens on and must paint fast); the other
// views are loaded when first shown, so they are not in the way of the map's first paint.
import { h, errorBox } from './dom.js';
import { mapView } from './view-map.js';

const lazy = (load, name) => async (el, signal, arg) => {
  let mod;
  try {
    mod = await load();
  } catch (err) {
    if (!signal.aborted) el.replaceChildren(errorBox(err));
    return;
  }
  if (!signal.aborted) mod[name](el, signal, arg);
};
const jobsView = lazy(() => import('./view-jobs.js'), 'jobsView');
const jobView = lazy(() => import('./view-job.js'), 'jobView');
const servicesView = lazy(() => import('./view-services.js'), 'servicesView');
const logsView = lazy(() => import('./view-logs.js'), 'logsView');

let current;

function route() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = hash.split('?');
  const parts = path.split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  const params = new URLSearchParams(query);
  if (parts.length === 0) return { name: 'map', run: mapView };
  if (parts[0] === 'jobs' && parts.length === 1) return { name: 'jobs', run: (el, s) => jobsView(el, s, params) };
  if (parts[0] === 'jobs' && parts.length === 2) return { name: 'jobs', run: (el, s) => jobView(el, s, parts[1]) };
  if (parts[0] === 'services') return { name: 'services', run: servicesView };
  if (parts[0] === 'logs' && parts.length === 2) return { name: 'map', run: (el, s) => logsView(el, s, parts[1]) };
  return { name: '', run: (el) => el.replaceChildren(errorBox(new Error(`nothing at #${hash}`)), h('a', { href: '#/' }, 'to the map')) };
}

function show() {
  current?.abort();
  current = new AbortController();
  const view = document.getElementById('view');
  const r = route();
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.dataset.view === r.name);
  // The map the server put in the page or early.js put in (map-html.ts) stays for the map view to
  // adopt; any other view replaces it.
  if (!(r.run === mapView && view.querySelector(':scope > section.map[data-index]'))) view.replaceChildren(h('p.loading', {}, 'loading…'));
  view.dataset.view = r.name;
  r.run(view, current.signal);
}

window.addEventListener('hashchange', show);
// Loaded by early.js (after the map's first frame when it came as HTML, at once otherwise): the rest
// of the document (the token dialog) may still be on its way.
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', show, { once: true });
else show();
