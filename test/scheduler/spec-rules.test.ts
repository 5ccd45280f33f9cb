/** What a job spec may ask for: reserved labels, image references, memory, where ports are published. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseJobSpec, SpecError } from '../../src/scheduler/spec/index.js';
import { imageProblem } from '../../src/scheduler/spec/image.js';

function problems(text: string): string[] {
  try {
    parseJobSpec(text);
  } catch (err) {
    assert.ok(err instanceof SpecError, String(err));
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
  assert.fail('expected a SpecError');
}

test('labels in the maestro.* namespace are refused, each with its path and why; the registrar options pass', () => {
  const got = problems(`
name: web
image: nginx
labels:
  maestro.job: other
  maestro.alloc: a
  maestro.service: payments
  maestro.instance: payments-0
  maestro.host: h9
  Maestro.Service: payments
  maestro.tags: x
  maestro.port.80.name: payments
  maestro.proxy: "9000"
  maestro.anything: x
  tier: front
`);
  const byPath = new Map(got.map((p) => [p.slice(0, p.indexOf(': ')), p]));
  for (const key of ['job', 'alloc', 'service', 'instance', 'host']) assert.match(byPath.get(`labels.maestro.${key}`) ?? '', /reserved: the agent sets/, key);
  assert.match(byPath.get('labels.Maestro.Service') ?? '', /reserved/);
  assert.match(byPath.get('labels.maestro.tags') ?? '', /tags field/);
  assert.match(byPath.get('labels.maestro.port.80.name') ?? '', /ports field/);
  assert.match(byPath.get('labels.maestro.proxy') ?? '', /ports field/);
  assert.match(byPath.get('labels.maestro.anything') ?? '', /only maestro\.address and maestro\.ignore/);
  assert.equal(got.length, 10, got.join('\n'));

  const ok = parseJobSpec('name: web\nimage: nginx\nlabels: { maestro.address: internal, maestro.ignore: "true", tier: front }');
  assert.deepEqual(ok.labels, { 'maestro.address': 'internal', 'maestro.ignore': 'true', tier: 'front' });
  assert.deepEqual(problems('name: web\nimage: nginx\nlabels: { maestro.address: sideways }'), ['labels.maestro.address: expected internal, advertise, published']);
});

test('image references follow Docker\'s grammar and length limit', () => {
  const valid = [
    'redis', 'redis:7', 'library/redis:7.2-alpine', 'registry.example.com:5000/team/app:v1.2_3',
    'localhost/app', `app@sha256:${'a'.repeat(64)}`, `app:1@sha256:${'0'.repeat(64)}`,
    'a__b/c-d.e', 'a---b', `${'a'.repeat(237)}`, `h.io/${'a'.repeat(250)}`, `x:${'t'.repeat(128)}`,
  ];
  for (const ref of valid) assert.equal(imageProblem(ref), undefined, ref);
  const invalid = [
    '', 'Redis', 'redis:', '[::1]:5000/app:1', ':7', 'redis:-7', 'a/', '/a', 'a//b', 'a..b', 'a_.b', '-a', 'a-', 'a b', 'a\nb',
    `x:${'t'.repeat(129)}`, 'app@sha256:abc', 'app@:'.padEnd(70, 'a'), `${'a'.repeat(238)}`, `t/${'a'.repeat(244)}`, `h.io/${'a'.repeat(251)}`,
    'x'.repeat(1 << 20),
  ];
  for (const ref of invalid) assert.ok(imageProblem(ref), JSON.stringify(ref.slice(0, 80)));

  const huge = problems(`name: web\nimage: ${'a'.repeat(1 << 20)}\n`.slice(0, 60_000));
  assert.equal(huge.length, 1);
  assert.match(huge[0]!, /^image: too long/);
  assert.deepEqual(problems('name: web\ncontainers:\n  - { name: a, image: "Bad Image" }'), [
    'containers[0].image: expected an image reference like redis:7, registry:5000/team/app:1.2 or app@sha256:<hex> (lower-case name; tag [A-Za-z0-9_.-], at most 128)',
  ]);
});

test('memory below Docker\'s 6 MiB minimum (0 included, which meant "no limit") is refused', () => {
  for (const memory of [0, 1, 5]) {
    assert.deepEqual(problems(`name: w\nimage: x\nresources: { memory: ${memory} }`), [
      'resources.memory: expected MiB: integer 6..16777216 (Docker needs at least 6; leave it out for the default)',
    ]);
  }
  assert.equal(parseJobSpec('name: w\nimage: x\nresources: { memory: 6 }').containers[0]!.resources.memory, 6);
  assert.equal(parseJobSpec('name: w\nimage: x').containers[0]!.resources.memory, 128);
});

test('ports may name the host address they are published on', () => {
  const job = parseJobSpec('name: w\nimage: x\nports:\n  - { container: 80, host: 8080, hostIp: 0.0.0.0 }\n  - { container: 81, hostIp: "::1" }\n  - { container: 82 }');
  assert.deepEqual(job.containers[0]!.ports.map((p) => p.hostIp), ['0.0.0.0', '::1', undefined]);
  assert.deepEqual(problems('name: w\nimage: x\nports:\n  - { container: 80, hostIp: eth0 }\n  - { container: 81, hostIp: 1 }'), [
    'ports[0].hostIp: expected an IPv4 or IPv6 address (0.0.0.0 publishes on every IPv4 interface)',
    'ports[1].hostIp: expected an IPv4 or IPv6 address (0.0.0.0 publishes on every IPv4 interface)',
  ]);
});
