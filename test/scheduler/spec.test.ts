import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jobChangesWhatRuns, parseDuration, parseJobSpec, SpecError } from '../../src/scheduler/spec/index.js';

const REDIS = `
name: redis
image: redis:7
command: ["redis-server", "--appendonly", "yes"]
count: 3
env: { TZ: UTC, WORKERS: 4 }
ports:
  - { name: redis, container: 6379, proxy: 6379 }
tags: [cache]
labels: { tier: backend }
resources: { cpu: 250, memory: 256 }
constraints:
  hosts: [db-*]
  hostMeta: { disk: ssd }
  distinctHosts: true
  colocateWith: web
  conflictsWith: [batch-*]
health: { http: /health, interval: 5s, timeout: 500ms }
update: { maxParallel: 2, minHealthy: 1m30s }
strategy: binpack
`;

function problems(text: string): string[] {
  try {
    parseJobSpec(text);
  } catch (err) {
    assert.ok(err instanceof SpecError);
    assert.equal(err.code, 'invalid_spec');
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
  assert.fail('expected a SpecError');
}

test('the README job spec example parses into a normalised job', () => {
  const job = parseJobSpec(REDIS);
  assert.equal(job.name, 'redis');
  assert.equal(job.count, 3);
  assert.equal(job.global, false);
  assert.deepEqual(job.containers, [
    {
      name: 'redis',
      image: 'redis:7',
      command: ['redis-server', '--appendonly', 'yes'],
      env: { TZ: 'UTC', WORKERS: '4' },
      ports: [{ name: 'redis', container: 6379, protocol: 'tcp', proxy: 6379 }],
      resources: { cpu: 250, memory: 256 },
    },
  ]);
  assert.deepEqual(job.constraints, {
    hosts: ['db-*'],
    hostMeta: { disk: 'ssd' },
    distinctHosts: true,
    colocateWith: 'web',
    conflictsWith: ['batch-*'],
  });
  assert.deepEqual(job.health, { http: '/health', intervalMs: 5_000, timeoutMs: 500 });
  assert.deepEqual(job.update, { maxParallel: 2, minHealthyMs: 90_000, progressDeadlineMs: 300_000 });
  assert.equal(job.strategy, 'binpack');
  assert.deepEqual(job.tags, ['cache']);
  assert.deepEqual(job.labels, { tier: 'backend' });
});

test('JSON works too, and defaults fill the gaps', () => {
  const job = parseJobSpec('{"name": "web", "image": "nginx", "ports": [{"container": 80}]}');
  assert.equal(job.count, 1);
  assert.equal(job.strategy, 'spread');
  assert.deepEqual(job.update, { maxParallel: 1, minHealthyMs: 5_000, progressDeadlineMs: 300_000 });
  assert.deepEqual(job.reschedule, { delayMs: 1_000, maxDelayMs: 300_000 });
  assert.deepEqual(job.containers[0]!.ports, [{ name: '80', container: 80, protocol: 'tcp' }]);
  assert.deepEqual(job.containers[0]!.resources, { cpu: 100, memory: 128 });
  assert.equal(job.health, undefined);
});

test('global jobs have no count', () => {
  const job = parseJobSpec('name: agent\nimage: x\nglobal: true');
  assert.equal(job.global, true);
  assert.equal(job.count, 0);
  assert.deepEqual(problems('name: agent\nimage: x\nglobal: true\ncount: 2'), ['count: not allowed with global: true']);
});

test('every problem is reported with its path', () => {
  const got = problems(`
name: Bad_Name
count: -1
ports:
  - { container: 80 }
  - { container: 70000, protocol: sctp, extra: 1 }
env: { "1X": a }
resources: { cpu: 1.5 }
health: { interval: 5 parsecs }
update: { maxParallel: 0 }
strategy: random
`);
  assert.deepEqual(got.sort(), [
    'count: expected integer 0..1000000',
    'env.1X: expected an environment variable name',
    'health.interval: expected a duration like 500ms, 5s or 1m30s',
    'health: expected exactly one of http, tcp: true or exec',
    'image: required (or list containers)',
    'name: expected a DNS label (a-z, 0-9, "-"; at most 63; no leading or trailing "-")',
    'ports[1].container: expected integer 1..65535',
    'ports[1].extra: unknown field',
    'ports[1].protocol: expected tcp or udp',
    'resources.cpu: expected millicores: integer 0..1000000',
    'strategy: expected spread or binpack',
    'update.maxParallel: expected integer >= 1',
  ]);
});

test('pods: container names unique, per-container fields only inside containers', () => {
  const job = parseJobSpec(`
name: shop
containers:
  - { name: frontend, image: web, ports: [{ container: 80, host: 8080 }], resources: { cpu: 200, memory: 64 } }
  - { name: loader, image: loader, env: { SHARD: 1 } }
`);
  assert.deepEqual(
    job.containers.map((c) => [c.name, c.image, c.resources.cpu]),
    [
      ['frontend', 'web', 200],
      ['loader', 'loader', 100],
    ],
  );
  assert.deepEqual(
    problems(`
name: shop
image: nope
containers:
  - { name: a, image: x, ports: [{ container: 80 }] }
  - { name: a, ports: [{ container: 80 }] }
`).sort(),
    [
      'containers[1].image: required',
      'containers[1].name: duplicate container name "a"',
      'containers[1].ports[0].container: duplicate container port tcp/80',
      'containers[1].ports[0].name: duplicate port name "80"',
      'image: not allowed beside containers: set it per container',
    ],
  );
});

test('cross-field rules: constraints, health, ports', () => {
  assert.deepEqual(
    problems(`
name: x
image: y
ports: [{ container: 1, host: 80 }, { container: 2, host: 80 }]
constraints: { distinctHosts: true, maxPerHost: 3, colocateWith: x }
health: { tcp: true, interval: 1s, timeout: 2s }
`).sort(),
    [
      'constraints.colocateWith: a job cannot be co-located with itself',
      'constraints.maxPerHost: conflicts with distinctHosts: true (at most 1 per host)',
      'health.timeout: must not exceed interval',
      'ports[1].host: duplicate host port tcp/80',
    ],
  );
});

test('reschedule and progressDeadline: parsed, validated against each other', () => {
  const job = parseJobSpec('name: x\nimage: y\nreschedule: { delay: 2s, maxDelay: 1m }\nupdate: { minHealthy: 10s, progressDeadline: 2m }');
  assert.deepEqual(job.reschedule, { delayMs: 2_000, maxDelayMs: 60_000 });
  assert.deepEqual(job.update, { maxParallel: 1, minHealthyMs: 10_000, progressDeadlineMs: 120_000 });
  assert.equal(parseJobSpec('name: x\nimage: y\nupdate: { progressDeadline: 0 }').update.progressDeadlineMs, 0, '0: no deadline');
  assert.deepEqual(
    problems('name: x\nimage: y\nreschedule: { delay: 10s, maxDelay: 5s, jitter: 1 }\nupdate: { minHealthy: 30s, progressDeadline: 30s }').sort(),
    ['reschedule.jitter: unknown field', 'reschedule.maxDelay: must be at least delay', 'update.progressDeadline: must exceed minHealthy (or be 0 for none)'],
  );
  assert.deepEqual(problems('name: x\nimage: y\nreschedule: { delay: 0, maxDelay: soon }').sort(), [
    'reschedule.delay: expected a positive duration',
    'reschedule.maxDelay: expected a duration like 500ms, 5s or 1m30s',
  ]);
  assert.deepEqual(problems('name: x\nimage: y\nreschedule: { delay: 10m }'), ['reschedule.maxDelay: must be at least delay'], 'against the 5m default');
});

test('not a mapping, not YAML', () => {
  assert.deepEqual(problems('- a\n- b'), [': expected a mapping']);
  assert.match(problems('name: [')[0]!, /^: not valid YAML or JSON/);
});

test('durations', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('5s'), 5_000);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('1.5s'), 1_500);
  assert.equal(parseDuration(250), 250);
  assert.equal(parseDuration('5'), undefined);
  assert.equal(parseDuration('5s '), undefined);
  assert.equal(parseDuration(-1), undefined);
});

test('jobChangesWhatRuns: scale, update and strategy do not need a new version', () => {
  const a = parseJobSpec(REDIS);
  assert.equal(jobChangesWhatRuns(a, parseJobSpec(REDIS.replace('count: 3', 'count: 7'))), false);
  assert.equal(jobChangesWhatRuns(a, parseJobSpec(REDIS.replace('maxParallel: 2', 'maxParallel: 1'))), false);
  assert.equal(jobChangesWhatRuns(a, parseJobSpec(REDIS.replace('strategy: binpack', 'strategy: spread'))), false);
  assert.equal(jobChangesWhatRuns(a, parseJobSpec(`${REDIS}\nreschedule: { delay: 3s }`)), false);
  const { reschedule: _r, ...stored } = a;
  assert.equal(jobChangesWhatRuns(stored, a), false, 'records stored before reschedule existed');
  assert.equal(jobChangesWhatRuns(a, parseJobSpec(REDIS.replace('env: { TZ: UTC, WORKERS: 4 }', 'env: { WORKERS: 4, TZ: UTC }'))), false);
  assert.equal(jobChangesWhatRuns(a, parseJobSpec(REDIS.replace('redis:7', 'redis:8'))), true);
  assert.equal(jobChangesWhatRuns(a, parseJobSpec(REDIS.replace('TZ: UTC', 'TZ: CET'))), true);
  assert.equal(jobChangesWhatRuns(a, parseJobSpec(REDIS.replace('cpu: 250', 'cpu: 300'))), true);
  assert.equal(jobChangesWhatRuns(a, parseJobSpec(REDIS.replace('tier: backend', 'tier: cache'))), true);
  assert.equal(jobChangesWhatRuns(a, parseJobSpec(REDIS.replace('disk: ssd', 'disk: hdd'))), true);
});
