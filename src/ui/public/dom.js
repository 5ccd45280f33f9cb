// The page's only way to make elements: text always goes in as text nodes (never innerHTML), so a
// job name, a label or a log line from the cluster can never become markup or script.

/**
 * h('a.replica.tone-ok', …) or h('input#count', …):
 * attrs: `on<event>` functions become listeners, `dataset` an object of data-*, `style` an object
 * (set through CSSOM, which the page's CSP allows), `class` extra classes, the rest attributes
 * (false/null/undefined ones left out). Children: strings, numbers, nodes, arrays, null.
 */
export function h(spec, attrs = {}, ...children) {
  const [head, ...classes] = spec.split('.');
  const [tag, id] = head.split('#');
  const el = document.createElement(tag || 'div');
  if (id) el.id = id;
  if (classes.length) el.className = classes.join(' ');
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style') Object.assign(el.style, v);
    else if (k === 'class') el.classList.add(...String(v).split(/\s+/).filter(Boolean));
    else if (k === 'value' || k === 'checked' || k === 'disabled') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

/** "3 s ago", "5 min ago", "2 h ago", or the date for older times (ms since the epoch). */
export function ago(ms, now = Date.now()) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/** An absolute time for tooltips. */
export function when(ms) {
  return typeof ms === 'number' && Number.isFinite(ms) ? new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '';
}

/** A labelled pill per `key=value` pair. */
export function labelChips(labels) {
  return Object.entries(labels ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => h('span.chip', {}, v === '' ? k : `${k}=${v}`));
}

/** The status of a replica or job as a coloured word. */
export function statusBadge(status, tone) {
  return h(`span.badge.tone-${tone}`, { dataset: { status } }, status);
}

export function errorBox(err) {
  return h('p.error', { role: 'alert' }, err?.message ?? String(err));
}
