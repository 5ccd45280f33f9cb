/** The size and shape limits of a job spec: each refused with one clear problem, real specs untouched. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseJobSpec, SPEC_LIMITS, SpecError, validateJob } from '../../src/scheduler/spec/index.js';

function problems(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof SpecError, String(err));
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
  assert.fail('expected a SpecError');
}

const L = SPEC_LIMITS;
const BASE = 'name: x\nimage: y\n';

test('each limit is refused with one "too large" problem naming it', () => {
  const cases: [string, string, RegExp][] = [
    ['bytes', `${BASE}#${'x'.repeat(L.maxBytes)}`, /too large: \d+ bytes \(at most 65536\)/],
    ['bytes, counted in UTF-8', `${BASE}#${'é'.repeat(L.maxBytes / 2)}`, /too large: \d+ bytes/],
    ['flow depth', `${BASE}a: ${'['.repeat(L.maxDepth + 1)}${']'.repeat(L.maxDepth + 1)}`, /nested deeper than 32/],
    ['compact list depth', `${BASE}a:\n  ${'- '.repeat(L.maxDepth + 1)}x`, /nested deeper than 32/],
    ['block depth', BASE + Array.from({ length: L.maxDepth + 1 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1', /nested deeper than 32/],
    ['aliases', `${BASE}a: &a v\nb: [${Array(L.maxAliases + 1).fill('*a').join(',')}]`, /more than 64 aliases/],
    ['values', `${BASE}a: [${Array.from({ length: 11 }, () => `[${Array(1_000).fill(1).join(',')}]`).join(',')}]`, /more than 10000 values/],
    ['entries of a flow list', `${BASE}command: [${Array(L.maxEntries + 1).fill('a').join(',')}]`, /more than 1000 entries/],
    ['entries of a block mapping', `${BASE}env:\n${Array.from({ length: L.maxEntries + 1 }, (_, i) => `  K${i}: v`).join('\n')}`, /more than 1000 entries/],
    ['documents', `${BASE}---\n${BASE}`, /more than one document/],
  ];
  for (const [name, text, want] of cases) {
    const got = problems(() => parseJobSpec(text));
    assert.equal(got.length, 1, `${name}: ${got.join('; ')}`);
    assert.match(got[0]!, want, name);
  }
  // The same limits hold for values parsed elsewhere (JSON bodies).
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = [deep];
  assert.match(problems(() => validateJob({ name: 'x', image: 'y', a: deep }))[0]!, /nested deeper than 32/);
  assert.match(problems(() => validateJob(Object.fromEntries(Array.from({ length: 40_000 }, (_, i) => [`k${i}`, 1]))))[0]!, /more than 1000 entries/);
  const cycle: unknown[] = [];
  cycle.push(cycle);
  assert.match(problems(() => validateJob({ name: 'x', image: 'y', a: cycle }))[0]!, /too large/);
});

test('brackets, dashes and stars inside strings are not structure', () => {
  const job = parseJobSpec(`${BASE}command: ["sh", "-c", "${'[[[[{{{{- - - *a '.repeat(20)}"]\nenv: { A: '${'[{'.repeat(40)}' }`);
  assert.equal(job.containers[0]!.command![2]!.length, 20 * 17);
});

test('just under every limit still parses', () => {
  const env = Array.from({ length: L.maxEntries }, (_, i) => `  K${i}: v`).join('\n');
  const job = parseJobSpec(`${BASE}env:\n${env}\nlabels: { a: &v x, b: *v }\ncommand: [${Array(500).fill('"*a"').join(',')}]`);
  assert.equal(Object.keys(job.containers[0]!.env).length, L.maxEntries);
  assert.deepEqual(job.labels, { a: 'x', b: 'x' });
});

test('at most 20 problems are listed, then how many more; long keys are clipped', () => {
  const got = problems(() => parseJobSpec(`${BASE}${Array.from({ length: 50 }, (_, i) => `k${i}: 1`).join('\n')}`));
  assert.equal(got.length, L.maxProblems + 1);
  assert.equal(got.at(-1), ': and 30 more problems');
  const [long] = problems(() => parseJobSpec(`${BASE}${'k'.repeat(5_000)}: 1`));
  assert.ok(long!.length < 300, `${long!.length} characters`);
});
