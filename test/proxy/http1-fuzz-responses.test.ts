/**
 * Differential fuzz of the response path, seeded: an instance answers each tagged request with a
 * response whose framing varies (both framings, `Connection` naming them, listed lengths, interim
 * answers, broken chunks, one answer too many, a body after HEAD…). For every case, llhttp (Node's
 * http client) reads the answer twice — straight from the instance (the reference) and through the
 * proxy — and the engine's own decision is computed from the raw bytes. Through the proxy a client
 * gets either the instance's status with exactly the body the engine and llhttp agree on, or a
 * 502; and always its own answer (each body carries its request's tag), however the cases before
 * it left the pooled connections.
 */
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { test } from 'node:test';
import { BodyFraming } from '../../src/proxy/http1/body-framing.js';
import { headText, parseResponseHead } from '../../src/proxy/http1/parse.js';
import { createProxy } from '../../src/proxy/index.js';
import { seededRng, type Rng } from '../../src/scheduler/placement/rng.js';
import { eventually } from '../support/wait.js';
import { answering, inst, rawBackend } from './helpers.js';

const HOST = 'web.service.cluster';
const CASES = 400;
const PARALLEL = 8;

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;

function chunked(payload: string): string {
  return `${payload.length.toString(16)}\r\n${payload}\r\n0\r\n\r\n`;
}

/** The raw answer to the request for `tag` (its body names the tag). */
function answer(rng: Rng, tag: string): string {
  const body = `tag=${tag}|`;
  const n = body.length;
  const interim = pick(rng, ['', '', '', 'HTTP/1.1 100 Continue\r\n\r\n', 'HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n']);
  const status = pick(rng, ['200 OK', '200 OK', '201 Created', '404 Not Found', '500 Internal Server Error']);
  const variants = [
    `Content-Length: ${n}\r\n\r\n${body}`,
    `Content-Length: ${n}\r\nTransfer-Encoding: chunked\r\n\r\n${chunked(body)}`,
    `Transfer-Encoding: chunked\r\nContent-Length: ${n + 5}\r\n\r\n${chunked(body)}`,
    `Connection: Content-Length\r\nContent-Length: ${n}\r\n\r\n${body}`,
    `Connection: Transfer-Encoding, X-Private\r\nX-Private: 1\r\nTransfer-Encoding: chunked\r\n\r\n${chunked(body)}`,
    `Content-Length: ${n}, ${n}\r\n\r\n${body}`,
    `Content-Length: ${n}\r\nContent-Length: ${n}\r\n\r\n${body}`,
    `Transfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n${chunked(body).replace(/\r\n\r\n$/, '\r\nX-Sum: 1\r\n\r\n')}`,
    `Transfer-Encoding: chunked\r\n\r\nZZ\r\n${body}\r\n0\r\n\r\n`,
    `Content-Length: ${n}\r\n\r\n${body}HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\ntag=extra|xx`,
    `Content-Length: ${n - 3}\r\n\r\n${body}`,
    `Content-Length: ${n}\r\nConnection: close\r\n\r\n${body}`,
  ];
  // To a HEAD request every variant is a body after the head: one the instance should not send.
  return `${interim}HTTP/1.1 ${status}\r\nX-Tag: ${tag}\r\n${pick(rng, variants)}`;
}

/** The engine's reading of a raw answer: the final status and body payload, or null when it refuses it. */
function engineReads(raw: string, method: string): { status: number; body: string } | null {
  let buf = Buffer.from(raw, 'latin1');
  for (;;) {
    const head = headText(buf, 0);
    if (head === undefined) return null;
    let res;
    try {
      res = parseResponseHead(head, method);
    } catch {
      return null;
    }
    buf = buf.subarray(head.length + 4);
    if (res.status < 200) continue;
    let body = '';
    try {
      const at = new BodyFraming(res.body, res.length).feed(buf, 0, buf.length, (b, s, e) => (body += b.toString('latin1', s, e)));
      if (res.body !== 2 /* Chunked */) body = buf.toString('latin1', 0, at === -1 ? buf.length : at);
      if (at === -1 && res.body !== 3 /* UntilClose */) return null;
    } catch {
      return null;
    }
    return { status: res.status, body };
  }
}

function get(port: number, path: string, method: string, agent: Agent | false): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent, headers: { host: HOST } }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (err) => resolve({ error: err.message }));
    });
    req.on('error', (err) => resolve({ error: err.message }));
    req.end();
  });
}

test(`differential fuzz of ${CASES} responses: through the proxy a client gets the instance's answer as llhttp and the engine read it, or 502 — and always its own`, { timeout: 60_000 }, async (t) => {
  const rng = seededRng(0x0e5);
  const raws = new Map<string, string>();
  const methods = Array.from({ length: CASES }, () => pick(rng, ['GET', 'GET', 'POST', 'HEAD']));
  for (let k = 0; k < CASES; k++) raws.set(`/r${k}`, answer(rng, `/r${k}`));
  const port = await rawBackend(t, answering((head) => raws.get(head.split(' ')[1]!) ?? 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'));
  const proxy = await createProxy({ httpAddr: '127.0.0.1:0', connectionsPerInstance: 4 });
  t.after(() => proxy.stop());
  await proxy.update([inst('web', 'a', port)]);
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  t.after(() => agent.destroy());

  const problems: string[] = [];
  let agreed = 0;
  let refused = 0;
  for (let base = 0; base < CASES; base += PARALLEL) {
    const ks = Array.from({ length: Math.min(PARALLEL, CASES - base) }, (_, i) => base + i);
    await Promise.all(
      ks.map(async (k) => {
        const path = `/r${k}`;
        const method = methods[k]!;
        const [reference, proxied] = await Promise.all([get(port, path, method, false), get(proxy.httpAddress().port, path, method, agent)]);
        const engine = engineReads(raws.get(path)!, method);
        const raw = JSON.stringify(raws.get(path));
        if ('error' in proxied) return void problems.push(`${path}: the client failed (${proxied.error}) on ${raw}`);
        if (proxied.status === 502 && !proxied.body.includes('tag=')) return void refused++;
        if (engine === null) return void problems.push(`${path}: got ${proxied.status} for an answer the engine refuses: ${raw}`);
        // Its own answer: every tag in the body names this request (a cut body may cut the tag).
        const foreign = [...proxied.body.matchAll(/tag=([^|]*)/g)].filter((m) => !`${path}|`.startsWith(m[1]!));
        if (foreign.length > 0) return void problems.push(`${path}: got another request's answer: ${JSON.stringify(proxied.body)}`);
        if (proxied.status !== engine.status || proxied.body !== engine.body) {
          return void problems.push(`${path}: got ${proxied.status} ${JSON.stringify(proxied.body)}, the engine read ${engine.status} ${JSON.stringify(engine.body)} in ${raw}`);
        }
        if (!('error' in reference) && (reference.status !== proxied.status || reference.body !== proxied.body)) {
          return void problems.push(`${path}: llhttp read ${reference.status} ${JSON.stringify(reference.body)} straight from the instance, ${proxied.status} ${JSON.stringify(proxied.body)} through the proxy`);
        }
        agreed++;
      }),
    );
  }
  assert.deepEqual(problems.slice(0, 5), [], `${problems.length} problem(s)`);
  assert.ok(agreed > CASES / 2, `answers that agreed: ${agreed}`);
  assert.ok(refused > 10, `answers refused with 502: ${refused}`);
  await eventually(() => proxy.metrics().services[0]!.instances[0]!.inFlight === 0, 5_000, 'every exchange to finish');
});
