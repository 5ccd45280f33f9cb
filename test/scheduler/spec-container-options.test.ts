/** Volumes and the container fields people reach for: each is normalised, and each mistake is reported with its path. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseJobSpec, SpecError, jobChangesWhatRuns } from '../../src/scheduler/spec/index.js';
import { capabilityName, signalName } from '../../src/scheduler/spec/linux.js';
import { namedVolumes, volumeName } from '../../src/scheduler/types.js';

function problems(text: string): string[] {
  try {
    parseJobSpec(text);
  } catch (err) {
    assert.ok(err instanceof SpecError, String(err));
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
  assert.fail('expected a SpecError');
}

test('a single-container job: every new field normalised onto its container, extraHosts onto the job', () => {
  const job = parseJobSpec(`
name: redis
image: redis:7
volumes:
  - { name: data, path: /data }
  - { host: /srv/redis/conf, path: /usr/local/etc/redis, readOnly: true }
entrypoint: [redis-server]
command: [/usr/local/etc/redis/redis.conf]
user: 999
workingDir: /data
stopSignal: term
stopGracePeriod: 30s
capAdd: [cap_sys_resource, SYS_RESOURCE]
capDrop: [ALL]
privileged: false
extraHosts: { db.internal: 10.0.0.5, v6: "::1" }
`);
  const c = job.containers[0]!;
  assert.deepEqual(c.volumes, [
    { name: 'data', path: '/data' },
    { host: '/srv/redis/conf', path: '/usr/local/etc/redis', readOnly: true },
  ]);
  assert.deepEqual(c.entrypoint, ['redis-server']);
  assert.equal(c.user, '999');
  assert.equal(c.workingDir, '/data');
  assert.equal(c.stopSignal, 'SIGTERM');
  assert.equal(c.stopGracePeriodMs, 30_000);
  assert.deepEqual(c.capAdd, ['SYS_RESOURCE']);
  assert.deepEqual(c.capDrop, ['ALL']);
  assert.equal(c.privileged, undefined);
  assert.deepEqual(job.extraHosts, { 'db.internal': '10.0.0.5', v6: '::1' });
  assert.deepEqual(namedVolumes(job), ['data']);
  assert.equal(volumeName(job.name, 2, 'data'), 'redis-2-data');
});

test('a job without the new fields stores exactly as before (no new keys, so no new version)', () => {
  const job = parseJobSpec('name: web\nimage: nginx');
  assert.deepEqual(Object.keys(job.containers[0]!).sort(), ['env', 'image', 'name', 'ports', 'resources']);
  assert.equal('extraHosts' in job, false);
  const withVolume = parseJobSpec('name: web\nimage: nginx\nvolumes: [{ name: data, path: /data }]');
  assert.equal(jobChangesWhatRuns(job, withVolume), true);
});

test('extraHosts in Docker\'s list form', () => {
  const job = parseJobSpec('name: web\nimage: nginx\nextraHosts: ["db:10.0.0.5", "v6:fe80::1"]');
  assert.deepEqual(job.extraHosts, { db: '10.0.0.5', v6: 'fe80::1' });
});

test('pods: volumes per container; members naming one volume share it', () => {
  const job = parseJobSpec(`
name: app
containers:
  - { name: main, image: app, volumes: [{ name: data, path: /var/lib/app }], user: "1000:1000" }
  - { name: backup, image: busybox, volumes: [{ name: data, path: /backup, readOnly: true }, { name: scratch, path: /tmp/s }] }
`);
  assert.deepEqual(namedVolumes(job), ['data', 'scratch']);
  assert.equal(job.containers[0]!.user, '1000:1000');
  assert.deepEqual(problems('name: app\nvolumes: [{ name: d, path: /d }]\ncontainers: [{ name: a, image: x }]'), ['volumes: not allowed beside containers: set it per container']);
});

test('every mistake in the new fields is reported at once, each with its path and reason', () => {
  const got = problems(`
name: bad
image: x
volumes:
  - { path: /data }
  - { name: data, host: /srv/x, path: /x }
  - { name: Data_1, path: data }
  - { host: /srv/../etc, path: /etc2 }
  - { host: /, path: /host }
  - { name: ok, path: /dup }
  - { name: ok2, path: /dup }
  - { name: ok3, path: / }
  - { name: ok4, path: /y, readOnly: yes, size: 1 }
`);
  const more = problems(`
name: bad
image: x
entrypoint: []
user: "root; rm -rf /"
workingDir: relative
stopSignal: SIGNOPE
stopGracePeriod: 2h
capAdd: [NET_ADMIN, FLY]
capDrop: 5
privileged: "true"
extraHosts: { "bad host": 10.0.0.1, good: not-an-ip }
`);
  const expectedVolumes = [
    'volumes[0]: expected exactly one of name (a volume kept per instance) or host (a host path)',
    'volumes[1]: expected exactly one of name (a volume kept per instance) or host (a host path)',
    'volumes[2].name: expected a volume name: a-z, 0-9, "-", at most 32, no leading or trailing "-"',
    'volumes[2].path: expected an absolute path (starting with "/")',
    'volumes[3].host: expected a normalised path: no "..", "." or empty components, no trailing "/"',
    'volumes[4].host: mounting the host\'s whole filesystem is refused',
    'volumes[6].path: "/dup" is mounted twice in this container',
    'volumes[7].path: cannot mount over the container\'s root',
    'volumes[8].size: unknown field',
  ];
  // readOnly: yes is YAML 1.2's string "yes", not a boolean.
  for (const e of expectedVolumes) assert.ok(got.includes(e), `missing "${e}" in:\n${got.join('\n')}`);
  assert.ok(got.some((p) => p.startsWith('volumes[8].readOnly: expected boolean')), got.join('\n'));
  assert.equal(got.length, expectedVolumes.length + 1, got.join('\n'));
  const expected = [
    'entrypoint: expected at least one string (leave it out for the image\'s own)',
    'user: expected user, uid, user:group or uid:gid',
    'workingDir: expected an absolute path (starting with "/")',
    'stopSignal: expected a signal name like SIGTERM, SIGINT, SIGQUIT or a number 1..64',
    'stopGracePeriod: expected a duration from 0s to 1h, like 30s or 2m',
    'capAdd[1]: expected a Linux capability like NET_ADMIN or ALL (CAP_ prefix optional)',
    'capDrop: expected a list of capabilities',
    'privileged: expected boolean, got string',
    'extraHosts.bad host: expected a host name',
    'extraHosts.good: expected an IPv4 or IPv6 address',
  ];
  assert.deepEqual([...more].sort(), [...expected].sort());
});

test('capability and signal names are normalised; anything else is refused', () => {
  assert.equal(capabilityName('cap_net_admin'), 'NET_ADMIN');
  assert.equal(capabilityName('all'), 'ALL');
  assert.equal(capabilityName('CAP_'), undefined);
  assert.equal(capabilityName('NET_ADMIN; rm'), undefined);
  assert.equal(signalName('quit'), 'SIGQUIT');
  assert.equal(signalName('SIGRTMIN+3'), 'SIGRTMIN+3');
  assert.equal(signalName(9), '9');
  assert.equal(signalName('65'), undefined);
  assert.equal(signalName(0), undefined);
  assert.equal(signalName('SIGRTMIN+16'), undefined);
});

test('the spec\'s limits still hold with the new fields (a huge volume list is refused before validation)', () => {
  const many = Array.from({ length: 1_001 }, (_, i) => `  - { name: v${i}, path: /v${i} }`).join('\n');
  const got = problems(`name: big\nimage: x\nvolumes:\n${many}`);
  assert.ok(got.some((p) => /too large/.test(p)), got.join('\n'));
  const some = Array.from({ length: 33 }, (_, i) => `  - { name: v${i}, path: /v${i} }`).join('\n');
  assert.deepEqual(problems(`name: big\nimage: x\nvolumes:\n${some}`), ['volumes: at most 32 volumes per container']);
});
