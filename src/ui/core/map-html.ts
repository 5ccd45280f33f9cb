/**
 * The cluster map's host boxes as HTML text (pure), for the page to insert with one
 * `insertAdjacentHTML`: the browser's parser builds a window of the map (~1,000 elements) in C++
 * instead of ~7 DOM calls per replica from JavaScript (the first render's script time, in CPU time
 * from traces: see src/ui/README.md, *Performance*).
 *
 * Safety rests on two rules, both kept here and nowhere else: every value from the cluster goes
 * through `escapeHtml`, and it is only ever placed in text or in a double-quoted attribute value
 * (tag and attribute names are constants). Nothing in the output can open a tag, close the
 * attribute, or start a character reference of its own. The page's CSP refuses `style` attributes
 * in markup, so a bar's width travels as `data-percent` and the page sets it through CSSOM.
 */
import type { Bar, MapHost, MapReplica } from './map.js';

const SPECIAL = /[&<>"'\r\0]/;
const SPECIALS = /[&<>"'\r\0]/g;
const REFERENCE: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  // The parser turns a raw CR (and CRLF) into LF; as a reference it stays the CR it was.
  '\r': '&#13;',
  // HTML cannot carry U+0000: the parser drops it from text and makes it U+FFFD in attributes
  // (and as `&#0;`). U+FFFD everywhere, so text and attributes agree.
  '\0': '\uFFFD',
};

/**
 * `value` (as `String(value)`: the API's JSON is not trusted to hold strings and numbers where the
 * types say so) as HTML text or as a double-quoted attribute value: what the parser reads back is
 * that text (U+0000 as U+FFFD).
 */
export function escapeHtml(value: unknown): string {
  const text = String(value);
  return SPECIAL.test(text) ? text.replace(SPECIALS, (c) => REFERENCE[c]!) : text;
}

/** What a replica's tooltip says: instance, alloc id, status and the reason when it has one. */
export function replicaTitle(r: MapReplica): string {
  return `${r.instance} (${r.id}): ${r.status}${r.message ? ` — ${r.message}` : ''}`;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The page's link to a job: `#/jobs/NAME`, the name percent-encoded (a lone surrogate, which encodeURIComponent throws on, as U+FFFD). */
export function jobHref(job: string): string {
  return `#/jobs/${encodeURIComponent(String(job).replace(LONE_SURROGATE, '\uFFFD'))}`;
}

function replicaHtml(r: MapReplica): string {
  return `<a class="replica tone-${escapeHtml(r.tone)}" href="${escapeHtml(jobHref(r.job))}" title="${escapeHtml(replicaTitle(r))}" data-instance="${escapeHtml(r.instance)}" data-alloc="${escapeHtml(r.id)}" data-status="${escapeHtml(r.status)}">${escapeHtml(r.instance)}</a> `;
}

function barHtml(label: string, b: Bar, unit: string): string {
  const used = escapeHtml(b.used), capacity = escapeHtml(b.capacity);
  return `<div class="bar" title="${label}: ${used}${unit} of ${capacity}${unit} used"><span class="bar-label">${label}</span><span class="track"><span class="fill${b.percent >= 90 ? ' hot' : ''}" data-percent="${escapeHtml(b.percent)}"></span></span><span class="bar-value">${used}/${capacity}${unit}</span></div>`;
}

/** One host's box: state, name, address, metadata chips, CPU and memory bars, its replicas (a space after each: a line breaks only there). */
export function hostHtml(host: MapHost): string {
  const state = !host.known ? 'unknown' : host.alive ? 'alive' : 'down';
  let out = `<article class="host ${state}" data-host="${escapeHtml(host.name)}"><header><strong class="host-name">${escapeHtml(host.name)}</strong><span class="badge tone-${host.alive ? 'ok' : 'bad'}">${state}</span>`;
  if (host.address) out += `<span class="addr">${escapeHtml(host.address)}</span>`;
  out += '</header>';
  if (host.meta.length) {
    out += '<div class="meta">';
    for (const [k, v] of host.meta) out += `<span class="chip">${escapeHtml(k)}=${escapeHtml(v)}</span>`;
    out += '</div>';
  }
  out += host.known
    ? barHtml('CPU', host.cpu, '') + barHtml('mem', host.memory, ' MB')
    : '<p class="hint">not in the catalog: its replicas are listed until they move</p>';
  out += '<div class="host-replicas">';
  if (host.replicas.length) for (const r of host.replicas) out += replicaHtml(r);
  else out += '<span class="hint">no replicas</span>';
  return `${out}</div></article>`;
}

/** Host boxes, one after the other. */
export function hostsHtml(hosts: readonly MapHost[]): string {
  let out = '';
  for (const host of hosts) out += hostHtml(host);
  return out;
}
