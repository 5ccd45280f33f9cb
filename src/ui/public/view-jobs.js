// Jobs: the list with health, version and labels, filtered by a Kubernetes-style selector (the
// CLI's syntax, parsed by the API: a bad one gets the API's message). The selector lives in the
// URL (#/jobs?selector=…) so a filtered list can be bookmarked.
import { v1, watch } from './api.js';
import { h, errorBox, labelChips, statusBadge } from './dom.js';

const TONE = { healthy: 'ok', pending: 'starting', degraded: 'bad', stopped: 'off' };

function row(j) {
  return h('tr', { dataset: { job: j.name } },
    h('td', {}, h('a', { href: `#/jobs/${encodeURIComponent(j.name)}` }, j.name)),
    h('td', {}, statusBadge(j.state, TONE[j.state] ?? 'off')),
    h('td.num', { title: 'healthy / wanted' }, `${j.healthy}/${j.wanted}`),
    h('td.num', {}, `v${j.version}`),
    h('td', {}, (j.images ?? []).join(', ')),
    h('td', {}, labelChips(j.labels)));
}

export function renderJobs(table, jobs) {
  const body = jobs.length ? jobs.map(row) : h('tr', {}, h('td.hint', { colspan: 6 }, 'no job matches'));
  table.replaceChildren(
    h('thead', {}, h('tr', {}, ['job', 'state', 'healthy', 'version', 'images', 'labels'].map((c) => h('th', {}, c)))),
    h('tbody', {}, body));
}

export function jobsView(el, signal, params) {
  const table = h('table.jobs');
  const problem = h('div.problem');
  let watching;
  const follow = (selector) => {
    watching?.abort();
    watching = new AbortController();
    signal.addEventListener('abort', () => watching.abort(), { once: true });
    const path = selector ? v1(`/jobs?selector=${encodeURIComponent(selector)}`) : v1('/jobs');
    void watch(path, watching.signal, (json) => {
      problem.replaceChildren();
      renderJobs(table, json.jobs ?? []);
    }, (err) => {
      problem.replaceChildren(errorBox(err));
      if (err.code === 'bad_request') table.replaceChildren();
    });
    // Keep the filter in the address without reloading the view (replaceState fires no hashchange).
    history.replaceState(null, '', selector ? `#/jobs?selector=${encodeURIComponent(selector)}` : '#/jobs');
  };
  const input = h('input#selector', {
    type: 'search',
    placeholder: 'selector, e.g. tier=frontend,env in (prod,staging),!legacy',
    value: params.get('selector') ?? '',
    'aria-label': 'label selector',
    spellcheck: 'false',
  });
  let timer;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => follow(input.value.trim()), 300);
  });
  const form = h('form.filter', { onsubmit: (ev) => { ev.preventDefault(); clearTimeout(timer); follow(input.value.trim()); } },
    input, h('button', { type: 'submit' }, 'Filter'));
  el.replaceChildren(h('h1', {}, 'Jobs'), form, problem, table);
  follow(input.value.trim());
}
