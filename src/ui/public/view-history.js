// A job's versions, newest first, with a diff of any two (core/diff.js) and a rollback per version.
import { diffSpecs } from './core/diff.js';
import { h, ago, when } from './dom.js';

export function historySection(el, name, versions, state, rollback) {
  const list = [...versions].sort((a, b) => b.version - a.version);
  if (!list.length) return void el.replaceChildren();
  const has = (v) => list.some((x) => x.version === v);
  if (!has(state.to)) state.to = list[0].version;
  if (!has(state.from)) state.from = (list[1] ?? list[0]).version;
  const rerender = () => historySection(el, name, versions, state, rollback);
  const rows = list.map((v) => h('tr', { dataset: { version: v.version } },
    h('td.num', {}, `v${v.version}`),
    h('td', { title: when(v.submittedAt) }, ago(v.submittedAt)),
    h('td', {}, v.note ?? ''),
    h('td', {}, h('input', { type: 'radio', name: `from-${name}`, checked: v.version === state.from, 'aria-label': `diff from v${v.version}`, onchange: () => { state.from = v.version; rerender(); } })),
    h('td', {}, h('input', { type: 'radio', name: `to-${name}`, checked: v.version === state.to, 'aria-label': `diff to v${v.version}`, onchange: () => { state.to = v.version; rerender(); } })),
    h('td', {}, v.version === list[0].version ? h('span.hint', {}, 'current') : h('button.rollback-to', { onclick: () => rollback(v.version) }, `Roll back to v${v.version}`))));
  const from = list.find((v) => v.version === state.from);
  const to = list.find((v) => v.version === state.to);
  const diff = diffSpecs(from.job, to.job);
  const changed = diff.some((d) => d.op !== ' ');
  el.replaceChildren(
    h('h2', {}, 'History'),
    h('table.history', {}, h('thead', {}, h('tr', {}, ['version', 'submitted', 'note', 'from', 'to', ''].map((c) => h('th', {}, c)))), h('tbody', {}, rows)),
    h('h3', {}, `v${state.from} → v${state.to}`),
    changed
      ? h('pre.diff', {}, diff.map((d) => h(`span.${d.op === '+' ? 'add' : d.op === '-' ? 'del' : 'same'}`, {}, `${d.op} ${d.text}\n`)))
      : h('p.hint', {}, 'no difference in the spec'));
}
