// One job: state, the scale / restart / stop / rollback buttons, each replica with its reason and
// recent events, why replicas are not placed, and the version history with a diff.
import { api, v1, watchAll } from './api.js';
import { toneOf } from './core/map.js';
import { h, ago, when, errorBox, labelChips, statusBadge } from './dom.js';
import { historySection } from './view-history.js';

const TONE = { healthy: 'ok', pending: 'starting', degraded: 'bad', stopped: 'off' };

function events(a, open) {
  if (!a.events?.length) return null;
  const details = h('details.events', { open: open.has(a.id), ontoggle: (ev) => (ev.target.open ? open.add(a.id) : open.delete(a.id)) },
    h('summary', {}, `${a.events.length} event${a.events.length === 1 ? '' : 's'}`),
    h('ol', {}, [...a.events].reverse().map((e) => h('li', {},
      h('time', { title: when(e.at) }, ago(e.at)), ' ', h('strong', {}, e.type), e.message ? ` — ${e.message}` : ''))));
  return details;
}

function replicaRow(a, open) {
  return h('tr', { dataset: { alloc: a.id, instance: a.instance, status: a.status } },
    h('td', {}, a.instance),
    h('td', {}, a.host),
    h('td', {}, statusBadge(a.status, toneOf(a.status))),
    h('td.num', {}, `v${a.jobVersion}`),
    h('td.reason', {},
      a.message ? h('pre.message', {}, a.message) : null,
      a.check ? h('div.check', { title: when(a.check.at) }, `check: ${a.check.status} — ${a.check.output ?? ''}`) : null,
      events(a, open)),
    h('td', {}, a.containerIds?.length ? h('a.logs', { href: `#/logs/${encodeURIComponent(a.id)}` }, 'logs') : null));
}

function actions(name, detail, say) {
  const run = async (what, path, body) => {
    say(`${what}…`);
    try {
      const { json } = await api(v1(`/jobs/${encodeURIComponent(name)}${path}`), { method: path ? 'POST' : 'DELETE', body });
      say(`${what}: done${json?.target !== undefined ? ` (version ${json.target})` : ''}`);
    } catch (err) {
      say(`${what} failed: ${err.message}`, true);
    }
  };
  const count = h('input#scale-count', { type: 'number', min: 0, max: 10000, value: detail.job?.count ?? detail.wanted, 'aria-label': 'replicas' });
  const scale = h('form.action', { onsubmit: (ev) => { ev.preventDefault(); void run(`scale to ${count.value}`, '/scale', { count: Number(count.value) }); } },
    count, h('button#scale', { type: 'submit', disabled: detail.global }, 'Scale'));
  // Stop asks twice, on the page: a misclick must not stop a job.
  const stop = h('button#stop.danger', { disabled: detail.stopped });
  stop.textContent = 'Stop';
  stop.addEventListener('click', () => {
    if (stop.dataset.armed) return void run('stop', '', undefined);
    stop.dataset.armed = '1';
    stop.textContent = `Really stop ${name}?`;
    setTimeout(() => { delete stop.dataset.armed; stop.textContent = 'Stop'; }, 5000);
  });
  return h('div.actions', {}, scale,
    h('button#restart', { disabled: detail.stopped, onclick: () => run('restart', '/restart', {}) }, 'Restart'),
    h('button#rollback', { onclick: () => run('roll back', '/rollback', {}) }, 'Roll back'),
    stop);
}

export function jobView(el, signal, name) {
  const open = new Set();
  const head = h('div.job-head');
  const controls = h('div.controls');
  const status = h('p.status', { role: 'status' });
  const replicas = h('section.job-replicas');
  const unplaced = h('section.unplaced');
  const history = h('section.history');
  const say = (text, bad) => { status.textContent = text; status.classList.toggle('error', Boolean(bad)); };
  let built;
  const historyState = { from: undefined, to: undefined };
  const paths = [v1(`/jobs/${encodeURIComponent(name)}`), v1(`/jobs/${encodeURIComponent(name)}/history`)];
  watchAll(paths, signal, ([{ job: d }, hist]) => {
    head.replaceChildren(
      h('h1', {}, name, ' ', statusBadge(d.state, TONE[d.state] ?? 'off')),
      h('p.facts', {}, `version ${d.version} · ${d.healthy}/${d.wanted} healthy · ${d.running} running · images ${d.images.join(', ')} · `, labelChips(d.labels)));
    if (built !== `${d.version}:${d.stopped}`) {
      // Rebuilt only when the version changes, so a half-typed count is not wiped by a live update.
      built = `${d.version}:${d.stopped}`;
      controls.replaceChildren(actions(name, d, say));
    }
    const allocs = [...d.allocations].sort((a, b) => a.ordinal - b.ordinal || b.createdAt - a.createdAt);
    replicas.replaceChildren(h('h2', {}, 'Replicas'), h('table.allocs', {},
      h('thead', {}, h('tr', {}, ['replica', 'host', 'status', 'version', 'why', ''].map((c) => h('th', {}, c)))),
      h('tbody', {}, allocs.length ? allocs.map((a) => replicaRow(a, open)) : h('tr', {}, h('td.hint', { colspan: 6 }, 'no replicas')))));
    unplaced.replaceChildren(...(d.unplacedReasons?.length
      ? [h('h2', {}, 'Not placed'), h('ul', {}, d.unplacedReasons.map((r) => h('li', {}, r.message ?? JSON.stringify(r))))]
      : []));
    historySection(history, name, hist.versions ?? [], historyState, (v) => api(v1(`/jobs/${encodeURIComponent(name)}/rollback`), { method: 'POST', body: { version: v } })
      .then(() => say(`rolled back to version ${v}`), (err) => say(`rollback failed: ${err.message}`, true)));
  }, (err) => say(err.message, true));
  el.replaceChildren(h('p', {}, h('a', { href: '#/jobs' }, '← jobs')), head, controls, status, replicas, unplaced, history);
}
