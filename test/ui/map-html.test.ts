/**
 * The map as the server renders it into the page (pure): what it escapes, when it declines (a
 * string HTML cannot carry, a map too large), and where it goes in the page. That the browser
 * parses it into the DOM the page builds itself is map-inline.test.ts's (chromium).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HostView } from '../../src/api/index.js';
import { FIRST_FRAME_ELEMENTS, mapHtml, MAX_INLINE_ELEMENTS } from '../../src/ui/map-html.js';
import { carriedByHtml, escapeHtml } from '../../src/ui/html-text.js';
import { pageAroundMap } from '../../src/ui/inline.js';

const pageWithMap = (html: string, map: string): string => pageAroundMap(html).join(map);

const host = (name: string, meta: Record<string, string> = {}): HostView => ({ name, address: '10.0.0.1', alive: true, meta, capacity: { cpu: 1000, memory: 2048 }, used: { cpu: 950, memory: 512 }, allocations: 0 }) as unknown as HostView;

describe('map-html', () => {
  it('escapes markup, quotes and ampersands, and keeps CR as a reference (the parser would fold CR LF)', () => {
    assert.equal(escapeHtml(`<a href="x">it's & \r\n</a>`), '&lt;a href=&quot;x&quot;&gt;it&#39;s &amp; &#13;\n&lt;/a&gt;');
    assert.equal(escapeHtml('plain'), 'plain');
    assert.deepEqual(['a\0b', 'a\ud800', '\udc00a', 'a\ud83d\ude00', 'a\r\n'].map(carriedByHtml), [false, false, false, true, true]);
  });

  it('renders hosts and replicas with every value escaped, and the view index for the page to go on from', () => {
    const html = mapHtml([host('h<1>', { 'k"': 'v&' })], [['h<1>', 'web<x>', 'web<x>-0', 'a"1', 'failed', 'exit 1 <oops>']], 42)!;
    assert.match(html, /^<h1 data-inline>Cluster<\/h1><section class="map" data-inline data-index="42" data-rendered="1" data-complete>/);
    assert.match(html, /<\/section><span id="inline-map-end" hidden><\/span>$/, 'no template: every host is in the first frame');
    assert.match(html, /data-host="h&lt;1&gt;"/);
    assert.match(html, /<span class="chip">k&quot;=v&amp;<\/span>/);
    assert.match(html, /<a class="replica tone-bad" href="#\/jobs\/web%3Cx%3E" title="web&lt;x&gt;-0 \(a&quot;1\): failed — exit 1 &lt;oops&gt;" data-instance="web&lt;x&gt;-0" data-alloc="a&quot;1" data-status="failed">web&lt;x&gt;-0<\/a> /);
    // CPU at 95%: the hot meter; memory at 25%.
    assert.match(html, /<meter class="track hot" max="100" value="95"><\/meter>/);
    assert.match(html, /<meter class="track" max="100" value="25"><\/meter>/);
    assert.doesNotMatch(html, /<(?!\/?(h1|section|p|span|div|article|header|strong|meter|a)[ >])/, 'no element but the map\'s own');
  });

  it('leaves out the hosts past the first screen, says how many, and marks the section complete only when none was', () => {
    const hosts = Array.from({ length: 60 }, (_, i) => host(`h${String(i).padStart(2, '0')}`));
    const rows = hosts.flatMap((h) => Array.from({ length: 20 }, (_, o) => [h.name, 'j', `j-${o}`, `${h.name}-${o}`, 'running']));
    const html = mapHtml(hosts, rows, 7)!;
    const names = [...html.matchAll(/data-host="([^"]+)"/g)].map((m) => m[1]);
    // A host counts 10 elements and each replica 1: 30 per host, up to FIRST_FRAME_ELEMENTS.
    const sent = Math.ceil(FIRST_FRAME_ELEMENTS / 30);
    assert.deepEqual(names, hosts.slice(0, sent).map((h) => h.name));
    assert.match(html, new RegExp(`<section class="map" data-inline data-index="7" data-rest="${60 - sent}" data-rendered="60">`));
    assert.match(html, /<p class="summary">60 hosts · <span class="count" data-status="running">1200 running<\/span><\/p>/, 'the summary counts the whole map');
  });

  it('declines a map with NUL or a lone surrogate anywhere it shows, and one too large', () => {
    assert.equal(mapHtml([host('h\0')], [], 1), undefined);
    assert.equal(mapHtml([host('h', { k: 'v\ud800' })], [], 1), undefined);
    assert.equal(mapHtml([host('h')], [['h', 'j\udc00', 'j-0', 'a', 'running']], 1), undefined);
    assert.ok(mapHtml([host('h')], [['h', 'j\ud83d\ude00', 'j-0', 'a', 'running']], 1), 'a surrogate pair is a character like any other');
    const rows = Array.from({ length: MAX_INLINE_ELEMENTS - 9 }, (_, i) => ['h', 'j', `j-${i}`, `a${i}`, 'running']);
    assert.ok(mapHtml([host('h')], rows.slice(1), 1));
    assert.equal(mapHtml([host('h')], rows, 1), undefined);
  });

  it('goes inside <main>, marking <html> and making the first frame wait for it; a page without those places is an error', () => {
    const page = '<!doctype html>\n<html lang="en">\n<head><title>M</title>\n</head>\n<body><main id="view" aria-live="polite"></main></body></html>';
    assert.equal(pageWithMap(page, '<h1>M</h1>'), '<!doctype html>\n<html lang="en" data-inline-map>\n<head><title>M</title>\n<link rel="expect" href="#inline-map-end" blocking="render">\n</head>\n<body><main id="view" aria-live="polite"><h1>M</h1></main></body></html>');
    assert.throws(() => pageWithMap('<html lang="en"><head></head><main id="view"></main>', 'x'), /to put the map in/);
    assert.throws(() => pageWithMap('<html lang="en"><main id="view" aria-live="polite"></main></head>', 'x'), /in that order/);
  });
});
