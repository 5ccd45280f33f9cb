import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { AllocView } from '../../src/api/index.js';
import { docker, dockerOrSkip, TEST_IMAGE } from '../support/docker.js';
import { eventually } from '../support/wait.js';
import { startEtcdCluster, healthy } from './etcd-members.js';
import { labPrerequisites } from './lab-support.js';
import { startLab, startRoleIn, type NetHost, type NsAgent } from './netns.js';
import { cli, dig, jobFile, viaProxy } from './support.js';

const exec = promisify(execFile);

/**
 * The cluster as users run it, on real hosts with real faults: three network-namespace hosts on one
 * bridge, each with its own dockerd, its own etcd member (one real three-member etcd cluster) and
 * its own `maestro agent --etcd`; `maestro server --etcd` on two of them. Every figure this test
 * measures is printed as a diagnostic (it asserts conditions, never durations).
 */
test('lab: three hosts on a three-member etcd — spread, DNS and proxies everywhere, member down, leader loss, partition, quorum loss, host loss', { timeout: 600_000 }, async (t) => {
  if (!(await dockerOrSkip(t))) return;
  if (!(await labPrerequisites(t))) return;
  const lab = await startLab(t, 3);
  const [ha, hb, hc] = lab.hosts as [NetHost, NetHost, NetHost];
  const etcd = await startEtcdCluster(t, lab.hosts);
  const [ea, eb, ec] = etcd.members as [typeof etcd.members[0], typeof etcd.members[0], typeof etcd.members[0]];
  const token = `lab-${Math.random().toString(36).slice(2)}`;
  const catalogFlags = ['--etcd', etcd.endpoints];
  const agents = await Promise.all(lab.hosts.map((h) => startRoleIn(t, h, 'agent', catalogFlags)));
  const [aa, ab, ac] = agents as [NsAgent, NsAgent, NsAgent];
  const serverFlags = (h: NetHost) => [...catalogFlags, '--host-down-grace', '1s', '--api-addr', `${h.address}:0`, '--api-token', token];
  const servers: NsAgent[] = await Promise.all([ha, hb].map((h) => startRoleIn(t, h, 'server', serverFlags(h))));
  const api = () => `http://${servers.find((s) => !s.exited())!.addresses.api}`;
  const maestro = (args: string[]) => cli(api(), [...args, '--token', token]);
  const ps = async (job: string): Promise<AllocView[]> => {
    const r = await maestro(['ps', job, '--json']);
    if (r.code !== 0) throw new Error(`maestro ps exited ${r.code}: ${r.stderr}`);
    return (JSON.parse(r.stdout) as AllocView[]).filter((x) => x.desired === 'run');
  };
  const healthyOn = async (job: string, count: number, hosts: readonly string[]) => {
    const now = await ps(job);
    return now.length === count && now.every((x) => x.state === 'running' && x.healthy && hosts.includes(x.host)) ? now : undefined;
  };
  const report = (what: string, value: string) => t.diagnostic(`${what}: ${value}`);
  /** `eventually`, and on a timeout what a user would look at: the job's status and the logs' tails. */
  const until = <T>(fn: () => Promise<T> | T, ms: number, what: string) => eventually(fn, ms, what).catch(async (err: Error) => {
    const status = await maestro(['status', job]).then((r) => r.stdout + r.stderr, (e: Error) => e.message);
    const tail = (p: NsAgent) => p.logs().split('\n').filter((l) => /"level":(40|50)/.test(l)).slice(-8).join('\n');
    throw new Error(`${err.message}\n--- maestro status ${job}:\n${status}\n` +
      [...agents, ...servers].map((p, i) => `--- ${i < 3 ? 'agent' : 'server'} ${p.host} warnings:\n${tail(p)}`).join('\n'));
  });

  const job = 'web';
  const spec = (count: number) => `name: ${job}
image: ${TEST_IMAGE}
command: ["sh", "-c", "hostname > /www/index.html && exec httpd -f -p 80 -h /www"]
count: ${count}
ports:
  - { name: http, container: 80, proxy: 18080 }
resources: { cpu: 10, memory: 64 }
health: { http: /, interval: 1s, timeout: 1s }
update: { maxParallel: 3, minHealthy: 1s }
`;
  const name = `${job}.service.cluster`;
  const everyHost = [aa.host, ab.host, ac.host];
  const addressOf = new Map(lab.hosts.map((h) => [h.ns, h.address]));
  // Distinct addresses: two instances on one host share its address.
  const dnsAnswers = async (agent: NsAgent) => [...new Set(await dig(agent.addresses.dns, name))].sort().join();
  const expectDns = (agents: readonly NsAgent[], hosts: readonly string[], what: string) =>
    Promise.all(agents.map((ag) => until(async () => (await dnsAnswers(ag)) === hosts.map((h) => addressOf.get(h)).sort().join(), 45_000, `${ag.host}'s DNS: ${what}`)));

  await t.test('1. spread over three hosts; every host answers every instance and proxies to all of them', async () => {
    const run = await maestro(['run', jobFile(t, job, spec(3)), '--timeout', '90s']);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const placed = await ps(job);
    assert.deepEqual(placed.map((x) => x.host).sort(), [...everyHost].sort(), 'one replica on each host');
    await expectDns(agents, everyHost, 'every instance');
    for (const ag of agents) {
      const instanceNames = await dig(ag.addresses.dns, name, 'SRV');
      assert.equal(instanceNames.length, 3, `${ag.host} SRV: ${instanceNames.join(' | ')}`);
    }
    // Every host's L7 and L4 proxy reaches the replicas on the other hosts (bodies are container hostnames).
    const containerNames = new Set(await Promise.all(placed.map(async (x) => {
      const h = lab.hosts.find((hh) => hh.ns === x.host)!;
      return docker(['inspect', '-f', '{{.Config.Hostname}}', x.containerIds[0]!], { dockerHost: h.dockerHost });
    })));
    assert.equal(containerNames.size, 3);
    for (const [ag, h] of [[aa, ha], [ab, hb], [ac, hc]] as const) {
      const l7 = new Set<string>();
      await until(async () => {
        const r = await viaProxy(ag.addresses.http, name);
        if (r.status === 200) l7.add(r.body.trim());
        return l7.size === 3;
      }, 45_000, `L7 on ${ag.host} reaches all three`);
      assert.deepEqual([...l7].sort(), [...containerNames].sort());
      const l4 = new Set<string>();
      await until(async () => {
        l4.add((await exec('curl', ['-sf', '--max-time', '3', `http://${h.address}:18080/`])).stdout.trim());
        return l4.size === 3;
      }, 45_000, `L4 on ${ag.host} reaches all three`);
      assert.deepEqual([...l4].sort(), [...containerNames].sort());
    }
  });

  await t.test('2. a container started on host A is answered by host C\'s DNS', async () => {
    const [dnsHost, dnsPort] = ac.addresses.dns.split(':');
    const resolver = new Resolver({ timeout: 500, tries: 1 });
    resolver.setServers([`${dnsHost}:${dnsPort}`]);
    const samples: number[] = [];
    for (let i = 0; i < 10; i++) {
      const svc = `probe${i}`;
      const id = await docker(['run', '-d', '--label', `maestro.service=${svc}`, '-p', '80', TEST_IMAGE, 'sleep', '600'], { dockerHost: ha.dockerHost });
      const started = performance.now();
      await eventually(async () => (await resolver.resolve4(`${svc}.service.cluster`).catch((): string[] => [])).includes(ha.address), 15_000, `${svc} on C's DNS`);
      samples.push(performance.now() - started);
      await docker(['rm', '-f', id], { dockerHost: ha.dockerHost });
    }
    samples.sort((x, y) => x - y);
    report('container start on A → answered by C\'s DNS (10 runs)', `p50 ${samples[4]!.toFixed(0)} ms, max ${samples[9]!.toFixed(0)} ms`);
    assert.equal(samples.length, 10);
  });

  await t.test('3. one etcd member down: placement, DNS and proxying go on', async () => {
    await ec.kill();
    const run = await maestro(['scale', job, '4']);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    await until(() => healthyOn(job, 4, everyHost), 60_000, 'a fourth replica placed and healthy with a member down');
    for (const ag of agents) {
      const r = await viaProxy(ag.addresses.http, name);
      assert.equal(r.status, 200, `${ag.host} L7 with a member down`);
    }
    assert.equal((await dig(aa.addresses.dns, name)).length > 0, true);
    await ec.start();
    await eventually(() => healthy(ec.clientUrl), 30_000, 'member C back');
    assert.equal((await maestro(['scale', job, '3'])).code, 0);
    await until(() => healthyOn(job, 3, everyHost), 60_000, 'back to three');
  });

  await t.test('4. the scheduler leader is killed: the standby takes over', async () => {
    const elected = (s: NsAgent) => s.logs().split('\n').filter((l) => l.includes('elected leader'));
    const leader = await eventually(() => servers.find((s) => elected(s).length > 0), 20_000, 'a leader');
    const standby = servers.find((s) => s !== leader)!;
    const before = elected(standby).length;
    const killedAt = Date.now();
    await leader.kill();
    const line = await eventually(() => (elected(standby).length > before ? elected(standby).at(-1) : undefined), 60_000, 'the standby elected');
    const at = (JSON.parse(line) as { time: number }).time;
    report('scheduler leader killed → standby elected', `${at - killedAt} ms`);
    // The new leader schedules: a scale goes through it.
    assert.equal((await maestro(['scale', job, '4'])).code, 0);
    await until(() => healthyOn(job, 4, everyHost), 60_000, 'placed by the new leader');
    assert.equal((await maestro(['scale', job, '3'])).code, 0);
    await until(() => healthyOn(job, 3, everyHost), 60_000, 'back to three');
    const i = servers.indexOf(leader);
    servers[i] = await startRoleIn(t, i === 0 ? ha : hb, 'server', serverFlags(i === 0 ? ha : hb));
  });

  await t.test('5. host C partitioned, then healed: its replica moves, and never runs twice after the heal', async () => {
    const lost = (await ps(job)).find((x) => x.host === ac.host)!;
    assert.ok(lost, 'a replica on C');
    const cutAt = Date.now();
    await exec('ip', ['link', 'set', hc.peer, 'down']);
    await expectDns([aa, ab], [aa.host, ab.host], 'C\'s instance gone');
    report('partition → C\'s instance leaves DNS on A and B', `${Date.now() - cutAt} ms`);
    await until(() => healthyOn(job, 3, [aa.host, ab.host]), 60_000, `${lost.instance} re-placed on A or B`);
    report('partition → C\'s replica healthy on another host', `${Date.now() - cutAt} ms`);

    await exec('ip', ['link', 'set', hc.peer, 'up']);
    const healedAt = Date.now();
    // From the heal on, sample every host's running containers of the job: no instance may run twice
    // in a way clients can see — C's stale copy must be fenced before it is registered again.
    let worst = 0;
    await eventually(async () => {
      const running = new Map<string, number>();
      for (const h of lab.hosts) {
        const out = await docker(['ps', '--filter', `label=maestro.job=${job}`, '--format', '{{.Label "maestro.instance"}}'], { dockerHost: h.dockerHost, timeoutMs: 10_000 });
        for (const inst of out.split('\n').filter(Boolean)) running.set(inst, (running.get(inst) ?? 0) + 1);
      }
      // SRV lists one target per registered instance: a re-registered stale copy would make it four.
      worst = Math.max(worst, (await dig(aa.addresses.dns, name, 'SRV')).length);
      return running.size === 3 && [...running.values()].every((n) => n === 1) && Date.now() - healedAt > 5_000;
    }, 60_000, 'one running copy of each instance after the heal');
    report('heal → one running copy per instance', `${Date.now() - healedAt} ms`);
    assert.ok(worst <= 3, `DNS on A served ${worst} SRV targets for three instances after the heal`);
  });

  await t.test('6. etcd quorum lost: DNS and proxies keep answering, scheduling stops and says why, then converges', async () => {
    const servedBefore = await dnsAnswers(aa);
    await Promise.all([eb.kill(), ec.kill()]);
    await eventually(async () => !(await healthy(ea.clientUrl)), 20_000, 'quorum lost');
    const refused = await maestro(['scale', job, '4']);
    assert.notEqual(refused.code, 0, 'no scheduling without quorum');
    assert.match(refused.stderr, /etcd|catalog|unavailable|quorum/i, refused.stderr);
    for (const ag of agents) {
      assert.equal(await dnsAnswers(ag), servedBefore, `${ag.host} DNS keeps its last snapshot`);
      assert.equal((await viaProxy(ag.addresses.http, name)).status, 200, `${ag.host} L7 keeps routing`);
    }
    await Promise.all([eb.start(), ec.start()]);
    await eventually(() => healthy(ea.clientUrl), 30_000, 'quorum back');
    await eventually(async () => (await maestro(['scale', job, '4'])).code === 0, 30_000, 'the API writes again');
    await until(() => healthyOn(job, 4, everyHost), 90_000, 'placement resumes');
    assert.equal((await maestro(['scale', job, '3'])).code, 0);
    await until(() => healthyOn(job, 3, everyHost), 60_000, 'back to three');
  });

  await t.test('7. host C lost (agent and dockerd killed): its instances leave DNS, its replica runs elsewhere', async () => {
    // After the partition C runs none of the job: a fourth replica lands there (spread prefers the
    // host with the fewest of the job), so the loss has something to move.
    assert.equal((await maestro(['scale', job, '4'])).code, 0);
    const placed = await until(async () => {
      const now = await healthyOn(job, 4, everyHost);
      return now?.some((x) => x.host === ac.host) ? now : undefined;
    }, 60_000, 'a replica on C');
    const onC = placed.filter((x) => x.host === ac.host);
    const killedAt = Date.now();
    // Timed from the kill, not from dockerd's exit: stopping its containers takes it seconds.
    const killed = Promise.all([ac.kill(), hc.stopDockerd()]);
    await expectDns([aa, ab], [...new Set((await ps(job)).filter((x) => x.host !== ac.host).map((x) => x.host))], 'C\'s instances gone');
    report('host loss → its instances out of DNS', `${Date.now() - killedAt} ms (lease TTL 10 s)`);
    await killed;
    await until(() => healthyOn(job, 4, [aa.host, ab.host]), 60_000, 'C\'s replicas healthy elsewhere');
    report(`host loss → ${onC.length} replica(s) healthy elsewhere`, `${Date.now() - killedAt} ms`);
    await expectDns([aa, ab], [...new Set((await ps(job)).map((x) => x.host))], 'the moved replicas');
  });
});
