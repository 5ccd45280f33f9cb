/**
 * The UI's pure core, as the browser runs it (the same compiled modules): how live watches pace
 * themselves, the log stream splitter on hostile framing (judged against splitting the whole text
 * at once), the spec diff, DNS names and dig lines, and the map model.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AllocView, HostView } from '../../src/api/index.js';
import { afterFailure, afterSuccess, MIN_GAP_MS, parseIndex, POLL_MS, watchUrl } from '../../src/ui/core/live.js';
import { NdjsonSplitter, parseLine, type LogRecord } from '../../src/ui/core/ndjson.js';
import { canonicalJson, diffLines, diffSpecs } from '../../src/ui/core/diff.js';
import { digLine, dnsServer, serviceNames, shellWord } from '../../src/ui/core/dns.js';
import { chunkHosts, clusterMap, jobHref, replicasOf } from '../../src/ui/core/map.js';

describe('live watches', () => {
  it('poll every 2 s when the API sends no index, and never faster', () => {
    for (const header of [null, undefined, '', 'abc', '-1', '1.5', '9'.repeat(17)]) {
      assert.deepEqual(afterSuccess(0, header, 3), { index: 0, delayMs: POLL_MS, blocking: false }, String(header));
    }
  });
  it('block on the returned index, start over when it goes backwards, and keep a floor between requests', () => {
    assert.deepEqual(afterSuccess(0, '42', 10), { index: 42, delayMs: MIN_GAP_MS - 10, blocking: true });
    assert.deepEqual(afterSuccess(42, '42', 30_000), { index: 42, delayMs: 0, blocking: true });
    assert.equal(afterSuccess(42, '7', 5).index, 0, 'a store rebuilt from scratch');
    assert.equal(parseIndex(' 12 '), 12);
  });
  it('back off on failures up to 30 s', () => {
    assert.deepEqual([1, 2, 3, 6, 7, 50, 1e9].map((n) => afterFailure(n).delayMs), [1000, 2000, 4000, 30000, 30000, 30000, 30000]);
  });
  it('add index and wait only to blocking requests', () => {
    assert.equal(watchUrl('../v1/jobs', { index: 0, delayMs: 0, blocking: false }), '../v1/jobs');
    assert.equal(watchUrl('../v1/jobs', { index: 5, delayMs: 0, blocking: true }), '../v1/jobs?index=5&wait=60s');
    assert.equal(watchUrl('../v1/jobs?selector=a%3Db', { index: 5, delayMs: 0, blocking: true }), '../v1/jobs?selector=a%3Db&index=5&wait=60s');
  });
});

/** A small seeded generator (xorshift), so a failing chunking can be replayed. */
function rng(seed: number): () => number {
  let x = seed || 1;
  return () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (x >>> 0) / 2 ** 32);
}

describe('log stream splitter', () => {
  const lines = [
    '{"stream":"stdout","text":"line 1\\n"}',
    '',
    '{"stream":"stderr","text":"é ✓ \\u0000 <script>alert(1)</script>"}',
    'not json at all',
    '{"stream":"stdin","text":"x"}',
    '[1,2]',
    'null',
    '{"stream":"stdout"}',
    '{"error":"the agent went away"}',
    '{"stream":"stdout","text":"last, without newline"}',
  ];
  const whole = lines.join('\n');
  // The oracle: the whole text split at once, each line judged on its own.
  const expected = whole.split('\n').map(parseLine).filter((r): r is LogRecord => r !== undefined);

  it('gives the same records however the stream is cut', () => {
    assert.ok(expected.length >= 8);
    const random = rng(7);
    for (let round = 0; round < 300; round++) {
      const s = new NdjsonSplitter();
      const got: LogRecord[] = [];
      for (let i = 0; i < whole.length; ) {
        const n = 1 + Math.floor(random() * 12);
        got.push(...s.push(whole.slice(i, i + n)));
        i += n;
      }
      got.push(...s.end());
      assert.deepEqual(got, expected, `round ${round}`);
    }
  });

  it('classifies output, errors and garbage without throwing', () => {
    assert.deepEqual(expected.map((r) => r.kind), ['output', 'output', 'garbled', 'garbled', 'garbled', 'garbled', 'garbled', 'error', 'output']);
  });

  it('cuts a line that never ends instead of holding it, once, and drops its tail', () => {
    const s = new NdjsonSplitter(1000);
    let out: LogRecord[] = [];
    for (let i = 0; i < 50; i++) out = out.concat(s.push('x'.repeat(100)));
    assert.equal(out.length, 1, 'one notice for the cut line');
    assert.equal(out[0]!.kind, 'garbled');
    assert.ok((out[0] as { text: string }).text.length < 400);
    // The rest of the long line, up to its newline, is dropped; the next record comes through whole.
    assert.deepEqual(s.push('xxxx\n{"stream":"stdout","text":"ok"}\n'), [{ kind: 'output', stream: 'stdout', text: 'ok' }]);
  });
});

describe('spec diff', () => {
  it('ignores key order and shows changed lines', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: 2, c: 3 } }), canonicalJson({ a: { c: 3, d: 2 }, b: 1 }));
    const d = diffSpecs({ name: 'web', count: 2, image: 'a:1' }, { image: 'a:2', count: 2, name: 'web' });
    assert.deepEqual(d.filter((l) => l.op !== ' '), [{ op: '-', text: '  "image": "a:1",' }, { op: '+', text: '  "image": "a:2",' }]);
  });
  it('is a correct edit script: the old side rebuilds a, the new side rebuilds b', () => {
    const random = rng(3);
    for (let round = 0; round < 200; round++) {
      const a = Array.from({ length: Math.floor(random() * 15) }, () => String.fromCharCode(97 + Math.floor(random() * 4)));
      const b = Array.from({ length: Math.floor(random() * 15) }, () => String.fromCharCode(97 + Math.floor(random() * 4)));
      const d = diffLines(a, b);
      assert.deepEqual(d.filter((l) => l.op !== '+').map((l) => l.text), a);
      assert.deepEqual(d.filter((l) => l.op !== '-').map((l) => l.text), b);
    }
  });
});

describe('DNS names and dig lines', () => {
  it('lists the names the DNS server answers for a service', () => {
    const names = serviceNames({ name: 'Web', tags: ['v2', 'v2'], instances: [{ name: 'web-1' }, { name: 'web-0' }] }, 'cluster');
    assert.deepEqual(names.map((n) => `${n.name} ${n.type}`), [
      'web.service.cluster A', 'web.service.cluster SRV', '_web._tcp.service.cluster SRV',
      'v2.web.service.cluster A', 'web-0.web.service.cluster A', 'web-1.web.service.cluster A',
    ]);
  });
  it('writes dig lines a shell reads as meant', () => {
    assert.equal(digLine({ name: 'web.service.cluster', type: 'A', what: '' }, dnsServer('127.0.0.1:8600')), 'dig @127.0.0.1 -p 8600 web.service.cluster A');
    assert.equal(digLine({ name: 'a.b', type: 'SRV', what: '' }, dnsServer('[::1]:53')), 'dig @::1 a.b SRV');
    assert.deepEqual(dnsServer('0.0.0.0:8600'), { host: '127.0.0.1', port: 8600 });
    assert.deepEqual(dnsServer('garbage'), { host: '127.0.0.1', port: 8600 });
    assert.equal(shellWord("x;rm -rf /'$(id)"), `'x;rm -rf /'\\''$(id)'`);
  });
});

describe('map model', () => {
  const host = (name: string, alive: boolean): HostView => ({ name, alive, address: '10.0.0.1', meta: { zone: 'a' }, capacity: { cpu: 1000, memory: 1000 }, used: { cpu: 1500, memory: 250 }, allocations: 0 });
  const alloc = (id: string, hostName: string, status: AllocView['status'], desired: AllocView['desired'] = 'run'): AllocView =>
    ({ id, job: 'web', instance: id.split('-').slice(0, 2).join('-'), ordinal: 0, host: hostName, desired, jobVersion: 1, state: 'running', status, healthy: status === 'running', events: [], containerIds: [], createdAt: 0 });

  it('puts replicas in their hosts, keeps a replica of an unlisted host visible, and leaves out finished ones', () => {
    const m = clusterMap([host('b', true), host('a', false)], [
      alloc('web-1-x', 'a', 'failed'), alloc('web-0-x', 'a', 'running'), alloc('web-2-x', 'gone', 'starting'), alloc('web-3-x', 'b', 'stopped', 'stop'),
    ]);
    assert.deepEqual(m.hosts.map((h) => [h.name, h.known, h.alive, h.replicas.map((r) => `${r.instance}:${r.tone}`)]), [
      ['a', true, false, ['web-0:ok', 'web-1:bad']],
      ['b', true, true, []],
      ['gone', false, false, ['web-2:starting']],
    ]);
    assert.deepEqual(m.counts, { failed: 1, running: 1, starting: 1 });
    assert.equal(m.down, 2);
    assert.deepEqual([m.hosts[0]!.cpu.percent, m.hosts[0]!.memory.percent], [100, 25], 'an over-committed bar is capped');
  });

  it('reads /v1/map rows, skipping malformed ones instead of trusting them', () => {
    const rows = [
      ['a', 'web', 'web-0', 'web-0-x', 'running'],
      ['a', 'web', 'web-1', 'web-1-x', 'failed', 'exited with code 3'],
      null, 42, 'row', {}, [], ['a', 'web', 'web-2'], ['a', 'web', 'web-3', 7, 'running'], ['a', 'web', 'web-4', 'id', { toString: 1 }],
      ['a', 'web', 'web-5', 'web-5-x', 'starting', 12],
    ];
    assert.deepEqual(replicasOf(rows), [
      { host: 'a', job: 'web', instance: 'web-0', id: 'web-0-x', status: 'running' },
      { host: 'a', job: 'web', instance: 'web-1', id: 'web-1-x', status: 'failed', message: 'exited with code 3' },
      { host: 'a', job: 'web', instance: 'web-5', id: 'web-5-x', status: 'starting' },
    ]);
    for (const bad of [undefined, null, {}, 'x', 3]) assert.deepEqual(replicasOf(bad), []);
    const m = clusterMap([host('a', true)], replicasOf(rows));
    assert.deepEqual(m.hosts[0]!.replicas.map((r) => `${r.instance}:${r.tone}`), ['web-0:ok', 'web-1:bad', 'web-5:starting']);
  });

  it('links to a job percent-encoded, a lone surrogate as U+FFFD instead of throwing', () => {
    assert.equal(jobHref('web'), '#/jobs/web');
    assert.equal(jobHref('a b/c?d#e<"'), '#/jobs/a%20b%2Fc%3Fd%23e%3C%22');
    assert.equal(jobHref('x\ud800'), '#/jobs/x%EF%BF%BD');
    assert.equal(jobHref('\udc00😀\ud83d'), `#/jobs/${encodeURIComponent('\uFFFD😀\uFFFD')}`);
  });

  it('cuts hosts into chunks of about N elements, in order, none lost, never an empty list', () => {
    const rows = Array.from({ length: 100 }, (_, i) => [`h${String(i).padStart(3, '0')}`, 'web', `web-${i}`, `id${i}`, 'running']);
    const m = clusterMap(Array.from({ length: 50 }, (_, i) => host(`h${String(i).padStart(3, '0')}`, true)), replicasOf(rows));
    const parts = chunkHosts(m.hosts, 35);
    assert.ok(parts.length > 1);
    assert.deepEqual(parts.flat().map((h) => h.name), m.hosts.map((h) => h.name));
    for (const p of parts.slice(0, -1)) assert.ok(p.reduce((n, h) => n + 10 + h.replicas.length, 0) >= 35);
    assert.deepEqual(chunkHosts([], 35), [[]]);
  });
});
