/**
 * The cluster map as HTML (pure), for the API to send inside the page: the map then paints as the
 * document is parsed, with no script, no second request and no module to wait for first. It is
 * the same model (`core/map.ts`) and the same markup, element for element, attribute for
 * attribute, as `public/map-dom.js` builds with DOM calls (for `view-map.js`), so the page adopts it as its first
 * render, appends the hosts past the first screen from /v1/map, and only replaces it when the
 * cluster changes (a browser test compares the two DOMs).
 *
 * A map with a string HTML text cannot carry exactly (`html-text.ts`) is not rendered here
 * (undefined): the page then builds it from `/v1/map` as before.
 */
import { barTexts, clusterMap, hostState, jobHref, replicasOf, replicaTitle, STATUS_ORDER, type Bar, type ClusterMap, type MapHost, type MapReplica } from './core/map.js';
import type { HostView } from '../api/index.js';
import { carriedByHtml, escapeHtml } from './html-text.js';

/**
 * Past this size (a host counts 10 elements, a replica 1, as the page's chunks count them) the map
 * is not put in the page. The page carries one screen whatever the size, but the server builds the
 * whole map's model for it and the page then asks /v1/map for the rest: for 5,000 hosts with
 * 100,000 replicas that is the whole listing built twice per load (at 2,000 replicas the page took
 * the API 11–15 ms, `/v1/map` 7 ms), where the page's own render needs it once and also paints its
 * first window first.
 */
export const MAX_INLINE_ELEMENTS = 20_000;

function bar(label: string, b: Bar, unit: string): string {
  const { title, value } = barTexts(label, b, unit);
  return `<div class="bar" title="${escapeHtml(title)}">`
    + `<span class="bar-label">${label}</span>`
    + `<meter class="${b.percent >= 90 ? 'track hot' : 'track'}" max="100" value="${b.percent}"></meter>`
    + `<span class="bar-value">${escapeHtml(value)}</span></div>`;
}

function replica(r: MapReplica): string {
  const instance = escapeHtml(r.instance);
  return `<a class="replica tone-${r.tone}" href="${escapeHtml(jobHref(r.job))}" title="${escapeHtml(replicaTitle(r))}" data-instance="${instance}" data-alloc="${escapeHtml(r.id)}" data-status="${escapeHtml(r.status)}">${instance}</a> `;
}

function hostBox(host: MapHost): string {
  const state = hostState(host);
  let out = `<article class="host ${state}" data-host="${escapeHtml(host.name)}"><header>`
    + `<strong class="host-name" elementtiming="host">${escapeHtml(host.name)}</strong>`
    + `<span class="badge tone-${host.alive ? 'ok' : 'bad'}">${state}</span>`
    + (host.address ? `<span class="addr">${escapeHtml(host.address)}</span>` : '')
    + '</header>';
  if (host.meta.length) out += `<div class="meta">${host.meta.map(([k, v]) => `<span class="chip">${escapeHtml(`${k}=${v}`)}</span>`).join('')}</div>`;
  out += host.known ? bar('CPU', host.cpu, '') + bar('mem', host.memory, ' MB') : '<p class="hint">not in the catalog: its replicas are listed until they move</p>';
  out += '<div class="host-replicas">';
  if (host.replicas.length) for (const r of host.replicas) out += replica(r);
  else out += '<span class="hint">no replicas</span>';
  return `${out}</div></article>`;
}

function summary(map: ClusterMap): string {
  const n = map.hosts.length;
  let out = `<p class="summary">${n} host${n === 1 ? '' : 's'}`;
  if (map.down) out += `<span class="count down"> · ${map.down} down</span>`;
  const counts = STATUS_ORDER.filter((s) => map.counts[s]).map((s) => `<span class="count" data-status="${s}">${map.counts[s]} ${s}</span>`);
  out += counts.length ? ` · ${counts.join(', ')}` : ' · no replicas';
  return `${out}</p>`;
}

/** True when every string the page would show of these hosts survives HTML text exactly. */
function carried(hosts: readonly MapHost[]): boolean {
  for (const h of hosts) {
    if (!carriedByHtml(h.name) || !carriedByHtml(h.address)) return false;
    for (const [k, v] of h.meta) if (!carriedByHtml(k) || !carriedByHtml(v)) return false;
    for (const r of h.replicas) {
      if (!carriedByHtml(r.job) || !carriedByHtml(r.instance) || !carriedByHtml(r.id) || !carriedByHtml(r.status) || !carriedByHtml(r.message ?? '')) return false;
    }
  }
  return true;
}

/**
 * Hosts the page carries, counted as the page's chunks count them: a full window on a 1080p
 * screen (a maximised browser's 1920×969 viewport touches 30 hosts of 20 replicas: 6 columns, the
 * fifth row cut by its bottom edge; it was 1,000, 34 hosts, a sixth row nobody saw). The page asks /v1/map for the rest after its first frame. In a
 * page's first frame a host with `content-visibility: auto` is still laid out in full (the browser
 * learns it is off screen only after that layout), so all 100 hosts of the benchmark in it cost
 * five times the layout and paint of one screen; and HTML for hosts nobody sees yet is parsed
 * before that frame (in a `<template>`, not laid out, the parse still took ~30 ms of the renderer's
 * CPU of ~230 before the first paint).
 */
export const FIRST_FRAME_ELEMENTS = 900;

/**
 * The map's `<h1>` and `<section class="map">` for `/v1/map`'s answer at view index `index`, or
 * undefined when it must be built by the page (too large, or a string HTML cannot carry). The
 * section has the first screen's hosts and says how many it left out (`data-rest`); after it, the
 * marker the page's first frame waits for (inline.ts).
 */
export function mapHtml(hosts: readonly HostView[], rows: readonly unknown[], index: number): string | undefined {
  if (hosts.length * 10 + rows.length > MAX_INLINE_ELEMENTS) return undefined;
  const map = clusterMap([...hosts], replicasOf(rows));
  let sent = 0;
  for (let elements = 0; sent < map.hosts.length && elements < FIRST_FRAME_ELEMENTS; sent++) elements += 10 + map.hosts[sent]!.replicas.length;
  const first = map.hosts.slice(0, sent);
  // Only what the page shows must survive HTML: the hosts left out come from /v1/map as JSON.
  if (!carried(first)) return undefined;
  let grid = '';
  for (const host of first) grid += hostBox(host);
  const rest = map.hosts.length - sent;
  // data-inline: hidden while the page opens on another view; data-index: the view index it shows,
  // where the page's watch of /v1/map starts; data-complete when no host was left out.
  return `<h1 data-inline>Cluster</h1><section class="map" data-inline data-index="${index}"${rest ? ` data-rest="${rest}"` : ''} data-rendered="${map.hosts.length}"${rest ? '' : ' data-complete'}>`
    + `${summary(map)}<div class="hosts">${grid}</div></section><span id="inline-map-end" hidden></span>`;
}
