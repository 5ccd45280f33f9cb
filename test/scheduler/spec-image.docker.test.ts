/**
 * The job spec's image reference check judged by the Docker daemon's own reference parser: the
 * Engine API answers "invalid reference format" for what it cannot parse and "No such image" for
 * well-formed names it does not have. Hand-picked references plus seeded mutations of valid ones.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { imageProblem } from '../../src/scheduler/spec/image.js';
import { docker as dockerCli, dockerOrSkip, TEST_IMAGE } from '../support/docker.js';

/**
 * undefined: the daemon's answer says neither (e.g. a path it cleaned and redirected). Image lookup
 * does not apply the registry's 255-character name limit, so long names ask `docker tag` instead,
 * which parses with the same reference package and does.
 */
async function daemonAccepts(ref: string): Promise<boolean | undefined> {
  if (ref.length > 200 && !ref.includes(' ')) {
    const tagged = await dockerCli(['tag', TEST_IMAGE, ref]).then(() => true, (err: Error) => (/not a valid repository|invalid reference/.test(err.message) ? false : undefined));
    if (tagged) await dockerCli(['rmi', ref]).catch(() => undefined);
    return tagged;
  }
  return lookup(ref);
}

function lookup(ref: string): Promise<boolean | undefined> {
  const dh = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  const target = dh.startsWith('unix://') ? { socketPath: dh.slice('unix://'.length) } : { host: new URL(dh.replace(/^tcp:/, 'http:')).hostname, port: Number(new URL(dh.replace(/^tcp:/, 'http:')).port) };
  const path = `/images/${ref.split('/').map(encodeURIComponent).join('/')}/json`;
  return new Promise((resolve, reject) => {
    const req = request({ ...target, path, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve(/invalid reference format/i.test(text) ? false : /no such image/i.test(text) ? true : undefined));
    });
    req.on('timeout', () => req.destroy(new Error('Docker did not answer in 10 s')));
    req.on('error', reject);
    req.end();
  });
}

/** Small deterministic PRNG (mulberry32), so a failure names a reproducible reference. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALID = ['redis', 'redis:7', 'library/redis:7.2-alpine', 'registry.example.com:5000/team/app:v1.2_3', 'localhost/app', `app@sha256:${'a'.repeat(64)}`, 'a__b/c-d.e:T_1', 'a---b', 'x.y/z'];
const HAND = [
  ...VALID, 'Redis', 'redis:', ':7', 'redis:-7', 'a..b', 'a_.b', '-a', 'a-', 'A.b/c', 'a:1:2', 'a@sha256:abc', `a@sha256:${'g'.repeat(64)}`,
  'host:port/a', 'h_st:5000/a', 'h-:5000/a', `${'a'.repeat(237)}`, `${'a'.repeat(238)}`, `t/${'a'.repeat(243)}`, `t/${'a'.repeat(244)}`,
  `h.io/${'a'.repeat(250)}`, `h.io/${'a'.repeat(251)}`,
  `x:${'t'.repeat(128)}`, `x:${'t'.repeat(129)}`, 'Team/app', 'Team.io/app', 'LOCALHOST/app', 'localhost:5000/App', '[::1]:5000/app', 'a/b/c/d/e', 'a.b.c', 'a__b', 'a___b', 'a_-b', 'UPPER:tag', 'lower:TAG',
];
const ALPHABET = ['a', 'Z', '0', '.', '_', '-', '/', ':', '@', ' ', '__', '--'];

test('image references: the spec accepts exactly what the Docker daemon parses', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const next = rng(20261129);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const mutated = Array.from({ length: 250 }, () => {
    let ref = pick(VALID);
    for (let n = 1 + Math.floor(next() * 2); n > 0; n--) {
      const at = Math.floor(next() * (ref.length + 1));
      const op = next();
      ref = op < 0.4 ? ref.slice(0, at) + pick(ALPHABET) + ref.slice(at) : op < 0.7 ? ref.slice(0, at) + ref.slice(at + 1) : ref.slice(0, at) + pick(ALPHABET) + ref.slice(at + 1);
    }
    return ref;
  });
  const refs = [...new Set([...HAND, ...mutated])].filter((r) => r !== '');
  const disagreements: string[] = [];
  let judged = 0;
  let accepted = 0;
  for (const ref of refs) {
    const docker = await daemonAccepts(ref);
    if (docker === undefined) continue;
    judged++;
    if (docker) accepted++;
    const ours = imageProblem(ref) === undefined;
    if (ours !== docker) disagreements.push(`${JSON.stringify(ref)}: Docker ${docker ? 'accepts' : 'refuses'}, the spec ${ours ? 'accepts' : 'refuses'}`);
  }
  console.log(`# image references: ${judged} judged by Docker (${accepted} valid), ${refs.length - judged} inconclusive`);
  assert.ok(judged >= 200 && accepted >= 50 && judged - accepted >= 50, `${judged} judged, ${accepted} valid: the corpus lost its spread`);
  assert.deepEqual(disagreements, []);
});
