/**
 * Differential fuzz of the L7 port, seeded: requests whose framing varies the ways smuggling
 * attacks vary it, and mutations of them (bytes flipped, inserted, cut; garbage), each on its own
 * connection. For every case three parties judge the same bytes:
 *
 * - the engine's own framing decision (parse.ts + body-framing.ts over the raw bytes),
 * - llhttp, Node's strict HTTP parser, as a reference server receiving the raw bytes directly,
 * - llhttp again as the instance behind the proxy, receiving what the proxy forwarded.
 *
 * Where the engine and the reference both accept a request they must agree on its target and body
 * size; the instance must parse exactly the requests the engine decided to forward (never one
 * hidden in a body), with the same body sizes; and the client must get the answers to its own
 * requests, in order (the instance answers `tag=<url>|`). Then the proxy still serves normally and
 * no exchange is left in flight.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { createProxy } from '../../src/proxy/index.js';
import { seededRng, type Rng } from '../../src/scheduler/placement/rng.js';
import { eventually } from '../support/wait.js';
import { closeServer, inst, send } from './helpers.js';
import { engineDecision, generated, HOST, mutated, type Decision, type Parsed } from './http1-fuzz-cases.js';

const GENERATED = 4_000;
const MUTATED = 2_000;
const PARALLEL = 40;

interface Seen extends Parsed {
  caseId: string;
  port: number;
  /** The batch during which the server accepted the request's connection. */
  batch: number;
}

interface Recorder {
  port: number;
  seen: Seen[];
  server: Server;
  /** Set by the test before each batch; stamped on every connection accepted from then on. */
  batch: number;
}

/**
 * An llhttp server recording every request it parsed completely, answering `tag=<url>|`. Each
 * request carries the batch its connection was accepted in: on a loaded machine a connection the
 * client already gave up on (300 ms cap) may finish parsing during a later batch, from a local port
 * that a later case reuses — matched by port alone, it would be blamed on that later case.
 */
async function llhttpServer(t: TestContext): Promise<Recorder> {
  const rec = { seen: [] as Seen[], batch: 0 } as Recorder;
  const acceptedIn = new WeakMap<object, number>();
  const server = createServer((req, res) => {
    let bodyBytes = 0;
    const batch = acceptedIn.get(req.socket) ?? -1;
    req.on('data', (d: Buffer) => (bodyBytes += d.length));
    req.on('end', () => {
      rec.seen.push({ url: req.url!, bodyBytes, caseId: String(req.headers['x-case'] ?? ''), port: req.socket.remotePort ?? 0, batch });
      res.end(`tag=${req.url}|`);
    });
  });
  server.on('connection', (socket) => acceptedIn.set(socket, rec.batch));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => closeServer(server));
  rec.server = server;
  rec.port = (server.address() as AddressInfo).port;
  return rec;
}

/** Sends `payload` in 1–3 pieces, half-closes; resolves with what came back and the local port. */
function shoot(port: number, payload: Buffer, rng: Rng, ms: number): Promise<{ got: string; localPort: number }> {
  const cut1 = Math.floor(rng() * payload.length);
  const cut2 = cut1 + Math.floor(rng() * (payload.length - cut1));
  return new Promise((resolve) => {
    const c = connect({ host: '127.0.0.1', port });
    let got = '';
    let localPort = 0;
    const done = () => {
      clearTimeout(timer);
      c.destroy();
      resolve({ got, localPort });
    };
    const timer = setTimeout(done, ms);
    c.on('data', (d) => (got += d.toString('latin1')));
    c.on('error', done);
    c.on('close', done);
    c.on('connect', () => {
      localPort = c.localPort ?? 0;
      for (const part of [payload.subarray(0, cut1), payload.subarray(cut1, cut2), payload.subarray(cut2)]) if (part.length) c.write(part);
      c.end();
    });
  });
}

const key = (p: Parsed) => `${p.url} ${p.bodyBytes}`;

function isPrefix(a: string[], b: string[]): boolean {
  return a.length <= b.length && a.every((x, i) => x === b[i]);
}

test(`differential fuzz: ${GENERATED} generated and ${MUTATED} mutated requests — engine, llhttp and the instance agree; every client gets its own answers`, async (t) => {
  const instance = await llhttpServer(t);
  const reference = await llhttpServer(t);
  const proxy = await createProxy({ httpAddr: '127.0.0.1:0' });
  t.after(() => proxy.stop());
  await proxy.update([inst('web', 'a', instance.port)]);
  const { port } = proxy.httpAddress();

  const rng = seededRng(0x5eed);
  const total = GENERATED + MUTATED;
  const cases: { bytes: Buffer; engine: Decision; reference: Parsed[]; replies: string }[] = [];
  const statuses = new Map<string, number>();
  const problems: string[] = [];
  for (let base = 0; base < total; base += PARALLEL) {
    const ids = Array.from({ length: Math.min(PARALLEL, total - base) }, (_, i) => base + i);
    const batch = ids.map((k) => (k < GENERATED ? generated(rng, k) : mutated(rng, k)));
    // Ports are unique among the connections open at once, not across batches: match by both.
    reference.batch = base;
    const refFrom = reference.seen.length;
    const [viaProxy, direct] = await Promise.all([
      Promise.all(batch.map((b) => shoot(port, b, rng, 300))),
      Promise.all(batch.map((b) => shoot(reference.port, b, rng, 300))),
    ]);
    ids.forEach((k, i) => {
      const refParsed = reference.seen.slice(refFrom).filter((s) => s.batch === base && s.port === direct[i]!.localPort);
      cases[k] = { bytes: batch[i]!, engine: engineDecision(batch[i]!), reference: refParsed, replies: viaProxy[i]!.got };
      const reply = viaProxy[i]!.got;
      if (reply === '') return; // dropped or closed without an answer: allowed for garbage
      const status = /^HTTP\/1\.[01] (\d{3}) /.exec(reply)?.[1];
      if (!status) problems.push(`case ${k}: not an HTTP answer: ${JSON.stringify(reply.slice(0, 80))}`);
      else statuses.set(status, (statuses.get(status) ?? 0) + 1);
    });
  }
  await eventually(() => proxy.metrics().services[0]!.instances[0]!.inFlight === 0, 5_000, 'every exchange to finish');

  // What the instance parsed, by case: tagged both by X-Case and by the `/c<k>` path (a mutation
  // may have damaged either; such requests are matched against every case's decision instead).
  const byCase = new Map<number, string[]>();
  const loose: string[] = [];
  for (const s of instance.seen) {
    const k = Number(s.caseId);
    const m = /^\/c(\d+)(?:\D|$)/.exec(s.url);
    if (s.caseId !== '' && m && Number(m[1]) === k && cases[k]) {
      const list = byCase.get(k) ?? [];
      list.push(key(s));
      byCase.set(k, list);
    } else loose.push(key(s));
  }
  const decided = new Map<string, number>();
  let compared = 0;
  let forwarded = 0;
  cases.forEach((c, k) => {
    const engine = c.engine.forwarded.map(key);
    for (const e of engine) decided.set(e, (decided.get(e) ?? 0) + 1);
    // Engine and llhttp agree wherever both accept.
    const both = Math.min(c.engine.parsed.length, c.reference.length);
    for (let j = 0; j < both; j++) {
      compared++;
      const mine = key(c.engine.parsed[j]!);
      if (mine !== key(c.reference[j]!)) problems.push(`case ${k}: engine reads ${mine}, llhttp reads ${key(c.reference[j]!)} in ${JSON.stringify(c.bytes.toString('latin1'))}`);
    }
    // The instance parsed exactly what the engine forwarded, nothing hidden in a body.
    const seen = byCase.get(k) ?? [];
    forwarded += seen.length;
    if (!isPrefix(seen, engine)) problems.push(`case ${k}: instance parsed [${seen.join(', ')}], engine forwarded [${engine.join(', ')}] from ${JSON.stringify(c.bytes.toString('latin1'))}`);
    // The client got the answers to its own requests, in order.
    const tags = [...c.replies.matchAll(/tag=([^|]*)\|/g)].map((m) => m[1]!);
    const urls = c.engine.forwarded.map((p) => p.url);
    if (!isPrefix(tags, urls)) problems.push(`case ${k}: client got answers for [${tags.join(', ')}], sent [${urls.join(', ')}]`);
  });
  for (const l of loose) {
    const n = decided.get(l) ?? 0;
    if (n === 0) problems.push(`the instance parsed ${l}, which the engine never decided to forward`);
    else decided.set(l, n - 1);
  }
  assert.deepEqual(problems.slice(0, 5), [], `${problems.length} problem(s)`);
  t.diagnostic(`framing comparisons ${compared}, forwarded ${forwarded}, answers ${JSON.stringify([...statuses])}`);
  // The oracle was exercised: both parsers accepted many requests (about 1,500 on an idle machine;
  // a loaded one cuts more cases at the 300 ms cap), many reached the instance, many were refused.
  assert.ok(compared > 300, `framing comparisons: ${compared}`);
  assert.ok(forwarded > 300, `requests forwarded: ${forwarded}`);
  assert.ok((statuses.get('400') ?? 0) > 300, `400s: ${JSON.stringify([...statuses])}`);

  for (let i = 0; i < 20; i++) {
    const r = await send(port, HOST, { path: `/after-${i}` });
    assert.equal(r.status, 200);
    assert.equal(r.body, `tag=/after-${i}|`);
  }
});
