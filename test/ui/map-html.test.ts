/**
 * The map's host boxes as HTML text (src/ui/core/map-html.ts), attacked: values from the cluster
 * full of markup, quotes, references, CR, NUL and lone surrogates. The oracle is chromium's own
 * HTML parser (the one that reads the page's markup): what it builds from our text must be exactly
 * the elements and attributes we meant, with every value read back as the value we put in.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HostView } from '../../src/api/index.js';
import { clusterMap, type MapAlloc, type MapHost } from '../../src/ui/core/map.js';
import { escapeHtml, hostsHtml, jobHref, replicaTitle } from '../../src/ui/core/map-html.js';
import { browserOrSkip } from './browser.js';

/** A small seeded generator (xorshift), so a failing string can be replayed. */
function rng(seed: number): () => number {
  let x = seed || 1;
  return () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (x >>> 0) / 2 ** 32);
}
const PIECES = ['<', '>', '&', '"', "'", '\r', '\n', '\r\n', '\0', '\t', '\f', '\ud800', '\udc00', '😀', '=', '/', ' ', ';', '#', 'x', '-', '&amp;', '&#0;', '&lt', '<!--', '-->', '<script>', '</a>', '</article>', '<img src=x onerror=alert(1)>', '\u0085', '\u2028', '\x7f', '\x80', '\x9f', '\ufeff', 'é'];
function hostile(next: () => number): string {
  let s = '';
  for (let n = 1 + Math.floor(next() * 8); n > 0; n--) s += PIECES[Math.floor(next() * PIECES.length)];
  return s;
}

const FIXED = ['<img src=x onerror=alert(1)>', '"><script>alert(1)</script>', "' onmouseover='x", '&amp;&#0;&lt', 'cr\r\nlf\rx', 'nul\0x', 'lone\ud800x', 'x\udc00', '</a></article><article>', 'plain'];

function hostileMap(seed: number): { hosts: MapHost[]; names: string[] } {
  const next = rng(seed);
  const names = [...FIXED, ...Array.from({ length: 60 }, () => hostile(next))];
  const hosts: HostView[] = [];
  const allocs: MapAlloc[] = [];
  names.forEach((name, i) => {
    const hostName = i % 3 ? `${name}#${i}` : `h${i}`;
    hosts.push({ name: hostName, alive: i % 2 === 0, address: name, meta: { [name]: name, zone: 'a' }, capacity: { cpu: 1000, memory: 1000 }, used: { cpu: i * 10, memory: 950 }, allocations: 1 });
    allocs.push({ host: hostName, job: name, instance: `${name}-0`, id: `${name}:${i}`, status: (i % 4 ? 'running' : name) as MapAlloc['status'], ...(i % 2 ? { message: `boom ${name}` } : {}) });
  });
  // A replica on a host the API does not list, and a host without replicas.
  allocs.push({ host: 'gone<b>', job: 'x', instance: 'x-0', id: 'x-0-a', status: 'starting' });
  hosts.push({ name: 'empty"', alive: true, address: '', meta: {}, capacity: { cpu: 0, memory: 0 }, used: { cpu: 0, memory: 0 }, allocations: 0 });
  return { hosts: clusterMap(hosts, allocs).hosts, names };
}

/** What the parser must read back for a value we put in: HTML cannot carry U+0000 (U+FFFD instead). */
const readBack = (value: string): string => value.replace(/\0/g, '\uFFFD');

describe('map host boxes as HTML', () => {
  it('escape every character that could end a value or start markup or a reference', () => {
    assert.equal(escapeHtml('<a href="x">&\'\r\0'), '&lt;a href=&quot;x&quot;&gt;&amp;&#39;&#13;\uFFFD');
    assert.equal(escapeHtml('plain text é 😀'), 'plain text é 😀');
    assert.equal(escapeHtml(12), '12');
    assert.equal(escapeHtml({}), '[object Object]');
    const next = rng(7);
    for (let i = 0; i < 2_000; i++) {
      const out = escapeHtml(hostile(next));
      assert.doesNotMatch(out, /[<>"'\r\0]/);
      assert.doesNotMatch(out.replace(/&(amp|lt|gt|quot|#39|#13);/g, ''), /&/, 'an & only in our own references');
    }
  });

  it('link to a job without throwing on lone surrogates', () => {
    assert.equal(jobHref('web'), '#/jobs/web');
    assert.equal(jobHref('a b/c?d#e'), '#/jobs/a%20b%2Fc%3Fd%23e');
    assert.equal(jobHref('x\ud800'), '#/jobs/x%EF%BF%BD');
    assert.equal(decodeURIComponent(jobHref('😀\udc00').slice(7)), '😀\uFFFD');
  });

  it('build one box per host, a link per replica, no style attribute (the CSP refuses them)', () => {
    const { hosts } = hostileMap(1);
    const html = hostsHtml(hosts);
    assert.equal(html.match(/<article /g)?.length, hosts.length);
    assert.equal(html.match(/<a class="replica /g)?.length, hosts.reduce((n, h) => n + h.replicas.length, 0));
    assert.doesNotMatch(html, /style=/);
    assert.equal(hostsHtml([]), '');
  });

  it('are read back by chromium’s parser as exactly the elements and values meant', async (t) => {
    const browser = await browserOrSkip(t);
    if (!browser) return;
    const page = await browser.newPage();
    for (const seed of [1, 2, 3]) {
      const { hosts, names } = hostileMap(seed);
      const parsed = await page.evaluate((html) => {
        const grid = (globalThis as any).document.createElement('div');
        grid.insertAdjacentHTML('beforeend', html);
        const text = (el: any): string | null => (el ? el.textContent : null);
        return {
          tags: [...new Set([...grid.querySelectorAll('*')].map((el: any) => el.localName as string))].sort(),
          attributes: [...new Set([...grid.querySelectorAll('*')].flatMap((el: any) => el.getAttributeNames() as string[]))].sort(),
          hosts: [...grid.children].map((box: any) => ({
            tag: box.localName,
            className: box.className,
            host: box.getAttribute('data-host'),
            name: text(box.querySelector('.host-name')),
            address: text(box.querySelector('.addr')),
            chips: [...box.querySelectorAll('.chip')].map((c: any) => c.textContent as string),
            bars: [...box.querySelectorAll('.bar')].map((b: any) => [b.getAttribute('title'), b.querySelector('.fill').getAttribute('data-percent'), text(b.querySelector('.bar-value'))]),
            replicas: [...box.querySelectorAll('a.replica')].map((a: any) => ({
              className: a.className, href: a.getAttribute('href'), title: a.getAttribute('title'), text: a.textContent,
              instance: a.getAttribute('data-instance'), alloc: a.getAttribute('data-alloc'), status: a.getAttribute('data-status'),
            })),
          })),
        };
      }, hostsHtml(hosts));
      assert.deepEqual(parsed.tags, ['a', 'article', 'div', 'header', 'p', 'span', 'strong'], `seed ${seed}: no element but ours`);
      assert.deepEqual(parsed.attributes, ['class', 'data-alloc', 'data-host', 'data-instance', 'data-percent', 'data-status', 'href', 'title'], `seed ${seed}: no attribute but ours`);
      assert.equal(parsed.hosts.length, hosts.length);
      assert.ok(names.length > 50);
      hosts.forEach((h, i) => {
        const got = parsed.hosts[i]!;
        const state = !h.known ? 'unknown' : h.alive ? 'alive' : 'down';
        assert.deepEqual({ tag: got.tag, className: got.className, host: got.host, name: got.name, address: got.address, chips: got.chips }, {
          tag: 'article', className: `host ${state}`, host: readBack(h.name), name: readBack(h.name), address: h.address ? readBack(h.address) : null,
          chips: h.meta.map(([k, v]) => readBack(`${k}=${v}`)),
        }, `seed ${seed}, host ${JSON.stringify(h.name)}`);
        if (h.known) {
          assert.deepEqual(got.bars, [
            [`CPU: ${h.cpu.used} of ${h.cpu.capacity} used`, String(h.cpu.percent), `${h.cpu.used}/${h.cpu.capacity}`],
            [`mem: ${h.memory.used} MB of ${h.memory.capacity} MB used`, String(h.memory.percent), `${h.memory.used}/${h.memory.capacity} MB`],
          ]);
        }
        assert.deepEqual(got.replicas, h.replicas.map((r) => ({
          className: `replica tone-${r.tone}`, href: jobHref(r.job), title: readBack(replicaTitle(r)), text: readBack(r.instance),
          instance: readBack(r.instance), alloc: readBack(r.id), status: readBack(r.status),
        })), `seed ${seed}, replicas of ${JSON.stringify(h.name)}`);
      });
    }
    await page.close();
  });
});
