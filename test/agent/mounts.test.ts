/**
 * What an agent lets a job do to its host: host paths only under --allow-host-path prefixes, judged
 * on real paths (symlink escapes refused) in a real directory tree; privileged and added capabilities
 * only when allowed; the pod builder turns the spec's fields into Docker's.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { preparePod, PodRefused, resolveHostPaths } from '../../src/agent/mounts.js';
import { podSpecs } from '../../src/agent/pod.js';
import { DENY_ALL, isUnder, privilegeProblems, type ContainerPolicy } from '../../src/agent/policy.js';
import { FakeDocker } from './fake-docker.js';
import { alloc, job as baseJob } from './fixtures.js';
import type { Job, JobContainer } from '../../src/scheduler/types.js';

/** The fixture's job, keeping every container field given (it copies only the basic ones). */
function job(name: string, over: Partial<Job>, containers: Partial<JobContainer>[]): Job {
  const j = baseJob(name, over, containers);
  return { ...j, containers: j.containers.map((c, i) => ({ ...c, ...containers[i] })) };
}

function tree(t: TestContext): string {
  const root = mkdtempSync(join(tmpdir(), 'maestro-hostpaths-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'srv/app/conf'), { recursive: true });
  mkdirSync(join(root, 'srv/appx'), { recursive: true });
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc/shadow'), 'secret');
  symlinkSync(join(root, 'etc'), join(root, 'srv/app/escape')); // a link out of the prefix
  symlinkSync(join(root, 'srv/app/conf'), join(root, 'srv/app/inside')); // a link that stays in
  symlinkSync(join(root, 'srv/app'), join(root, 'allowed-link')); // a prefix that is itself a link
  return root;
}

const policy = (over: Partial<ContainerPolicy>): ContainerPolicy => ({ ...DENY_ALL, ...over });
const withHostPath = (host: string) => job('web', {}, [{ volumes: [{ host, path: '/x', readOnly: true }] }]);

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof PodRefused, String(err));
    return err.message;
  }
  assert.fail('expected a refusal');
}

test('host paths: none allowed by default, and the reason says how to allow them', async (t) => {
  const root = tree(t);
  const msg = await refusal(resolveHostPaths(withHostPath(join(root, 'srv/app/conf')), DENY_ALL, 'h1'));
  assert.match(msg, /refused: the agent on h1 allows none \(start it with --allow-host-path PREFIX\)/);
});

test('host paths: under a prefix pass (resolved), escapes by symlink or by a look-alike prefix are refused', async (t) => {
  const root = tree(t);
  const allow = policy({ allowHostPaths: [join(root, 'srv/app')] });
  const ok = await resolveHostPaths(withHostPath(join(root, 'srv/app/conf')), allow, 'h1');
  assert.deepEqual([...ok], [[join(root, 'srv/app/conf'), join(root, 'srv/app/conf')]]);
  // A link that stays inside mounts its target, not the link (a later swap of the link is not followed).
  const inside = await resolveHostPaths(withHostPath(join(root, 'srv/app/inside')), allow, 'h1');
  assert.equal(inside.get(join(root, 'srv/app/inside')), join(root, 'srv/app/conf'));
  // The prefix itself is the allowed root.
  assert.equal((await resolveHostPaths(withHostPath(join(root, 'srv/app')), allow, 'h1')).size, 1);

  const escape = await refusal(resolveHostPaths(withHostPath(join(root, 'srv/app/escape')), allow, 'h1'));
  assert.match(escape, new RegExp(`host path ${join(root, 'srv/app/escape')} \\(it resolves to ${join(root, 'etc')}\\) is outside the agent's allowed prefixes on h1`));
  const lookalike = await refusal(resolveHostPaths(withHostPath(join(root, 'srv/appx')), allow, 'h1'));
  assert.match(lookalike, /is outside the agent's allowed prefixes/);
  const missing = await refusal(resolveHostPaths(withHostPath(join(root, 'srv/app/nope')), allow, 'h1'));
  assert.match(missing, /does not exist on h1/);
  // A prefix given as a link is judged by its real path too.
  const viaLink = await resolveHostPaths(withHostPath(join(root, 'srv/app/conf')), policy({ allowHostPaths: [join(root, 'allowed-link')] }), 'h1');
  assert.equal(viaLink.size, 1);
  // Every refused path of a pod is named at once.
  const pod = job('two', {}, [
    { name: 'a', volumes: [{ host: join(root, 'etc'), path: '/e' }] },
    { name: 'b', volumes: [{ host: join(root, 'srv/app/escape'), path: '/e' }, { host: join(root, 'srv/app/conf'), path: '/c' }] },
  ]);
  const both = await refusal(resolveHostPaths(pod, allow, 'h1'));
  assert.equal(both.split('; ').length, 2, both);
});

test('isUnder is a path boundary check', () => {
  assert.equal(isUnder('/srv/x', '/srv/x'), true);
  assert.equal(isUnder('/srv/x/y', '/srv/x'), true);
  assert.equal(isUnder('/srv/xy', '/srv/x'), false);
  assert.equal(isUnder('/srv/x/y', '/srv/x/'), true);
  assert.equal(isUnder('/anything', '/'), true);
});

test('privileged and added capabilities need the agent\'s leave; Docker\'s default capabilities and drops do not', () => {
  const j = job('p', {}, [{ privileged: true, capAdd: ['NET_ADMIN', 'SYS_TIME', 'CHOWN'], capDrop: ['ALL'] }]);
  assert.deepEqual(privilegeProblems(j, DENY_ALL, 'h1'), [
    'privileged mode is refused by the agent on h1 (start it with --allow-privileged)',
    'capabilities NET_ADMIN, SYS_TIME are refused by the agent on h1 (start it with --allow-cap NET_ADMIN,SYS_TIME)',
  ]);
  assert.deepEqual(privilegeProblems(j, policy({ allowPrivileged: true, allowCaps: ['NET_ADMIN'] }), 'h1'), [
    'capabilities SYS_TIME are refused by the agent on h1 (start it with --allow-cap SYS_TIME)',
  ]);
  assert.deepEqual(privilegeProblems(j, policy({ allowPrivileged: true, allowCaps: ['ALL'] }), 'h1'), []);
  assert.deepEqual(privilegeProblems(job('q', {}, [{ capAdd: ['CHOWN', 'NET_BIND_SERVICE'], capDrop: ['ALL'] }]), DENY_ALL, 'h1'), []);
});

test('preparePod refuses before creating anything, and creates each named volume once, labelled', async () => {
  const docker = new FakeDocker();
  const refused = job('p', {}, [{ privileged: true, volumes: [{ name: 'data', path: '/data' }] }]);
  await assert.rejects(preparePod(refused, alloc('p', 0), DENY_ALL, 'h1', docker), PodRefused);
  assert.equal(docker.volumes.size, 0);
  const pod = job('db', {}, [
    { name: 'main', volumes: [{ name: 'data', path: '/var/lib/db' }] },
    { name: 'backup', volumes: [{ name: 'data', path: '/backup', readOnly: true }] },
  ]);
  await preparePod(pod, alloc('db', 3), DENY_ALL, 'h1', docker);
  assert.deepEqual([...docker.volumes], [['db-3-data', { 'maestro.job': 'db', 'maestro.instance': 'db-3', 'maestro.host': 'h1', 'maestro.volume': 'data' }]]);
});

test('the pod builder: mounts per member, extra hosts on the namespace owner, stop grace in seconds', () => {
  const pod = job('db', { extraHosts: { 'db.internal': '10.0.0.5' } }, [
    { name: 'main', volumes: [{ name: 'data', path: '/var/lib/db' }, { host: '/srv/conf', path: '/conf', readOnly: true }], entrypoint: ['/init'], user: '999', workingDir: '/var/lib/db', stopSignal: 'SIGINT', stopGracePeriodMs: 1_500, capDrop: ['ALL'] },
    { name: 'backup', volumes: [{ name: 'data', path: '/backup', readOnly: true }] },
  ]);
  const ctx = { host: 'h1', proxyHost: '172.17.0.1', proxied: new Map(), hostPaths: new Map([['/srv/conf', '/real/srv/conf']]), stopTimeoutSec: 10 };
  const [main, backup] = podSpecs(pod, alloc('db', 3), ctx);
  assert.deepEqual(main!.mounts, [
    { type: 'volume', source: 'db-3-data', target: '/var/lib/db' },
    { type: 'bind', source: '/real/srv/conf', target: '/conf', readOnly: true },
  ]);
  assert.deepEqual([main!.entrypoint, main!.user, main!.workingDir, main!.stopSignal, main!.stopTimeoutSec], [['/init'], '999', '/var/lib/db', 'SIGINT', 2]);
  assert.deepEqual(main!.capDrop, ['ALL']);
  assert.deepEqual(main!.extraHosts, ['db.internal:10.0.0.5']);
  assert.deepEqual(backup!.mounts, [{ type: 'volume', source: 'db-3-data', target: '/backup', readOnly: true }]);
  assert.equal(backup!.extraHosts, undefined);
  assert.equal(backup!.stopTimeoutSec, 10, 'the agent\'s default where the job sets none');
  assert.equal(backup!.privileged, undefined);
});
