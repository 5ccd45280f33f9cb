/** The proxies in front of real containers: busybox httpd ×3 for L7, busybox `nc` echo for L4. */
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { test } from 'node:test';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import { createProxy, startProxy } from '../../src/proxy/index.js';
import { docker, dockerOrSkip, scopeFor, startContainer } from '../support/docker.js';
import { eventually } from '../support/wait.js';
import { freePort, inst, send } from './helpers.js';

async function publishedPort(id: string, port: string): Promise<number> {
  const out = await docker(['port', id, port]);
  return Number(/:(\d+)\s*$/m.exec(out.split('\n')[0])![1]);
}

test('busybox httpd ×3: spread, and a container killed under load costs no GET', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const scope = scopeFor(t, 'proxy');
  const names = ['a', 'b', 'c'];
  const ids = await Promise.all(
    names.map((n) =>
      startContainer({ scope, flags: ['-p', '127.0.0.1::80'], cmd: ['sh', '-c', `mkdir -p /www && echo ${n} > /www/index.html && exec httpd -f -p 80 -h /www`] }),
    ),
  );
  const ports = await Promise.all(ids.map((id) => publishedPort(id, '80/tcp')));
  const catalog = createEmbeddedCatalog();
  for (let i = 0; i < 3; i++) await catalog.registerInstance(inst('web', names[i], ports[i]));
  const proxy = await startProxy({ catalog, httpAddr: '127.0.0.1:0', ejection: { consecutiveFailures: 2 } });
  t.after(async () => {
    await proxy.stop();
    await catalog.close();
  });
  const port = proxy.httpAddress().port;
  await eventually(async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const r = await send(port, 'web.service.cluster');
      if (r.status === 200) seen.add(r.body.trim());
    }
    return seen.size === 3;
  }, 10_000, 'all three httpd containers to answer');

  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  t.after(() => agent.destroy());
  const failures: string[] = [];
  let issued = 0;
  const worker = async () => {
    while (issued < 1_500) {
      if (++issued === 300) void docker(['kill', ids[1]]);
      const r = await send(port, 'web.service.cluster', { agent }).catch((err: Error) => ({ status: 0, body: err.message }));
      if (r.status !== 200) failures.push(`${r.status} ${r.body}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  // A GET that got no response bytes is retried on another instance, so none fails with a status.
  // One whose answer had begun when its instance died cannot be (HAProxy and Envoy cut it too): the
  // client sees its response aborted — at most one per request in flight at the kill.
  const cut = failures.filter((f) => f === '0 aborted');
  assert.deepEqual(failures.filter((f) => f !== '0 aborted'), []);
  assert.ok(cut.length <= 8, `${cut.length} responses cut`);
  const b = proxy.metrics().services[0].instances.find((i) => i.id === 'b')!;
  assert.ok(b.ejections >= 1, JSON.stringify(b));
});

test('busybox nc echo through its proxy port; a dead instance is skipped on connect', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const scope = scopeFor(t, 'proxy');
  const id = await startContainer({ scope, flags: ['-p', '127.0.0.1::7'], cmd: ['nc', '-ll', '-p', '7', '-e', 'cat'] });
  const echoPort = await publishedPort(id, '7/tcp');
  const proxyPort = await freePort();
  const proxy = await createProxy({ httpAddr: '127.0.0.1:0', l4Bind: '127.0.0.1', policy: 'round-robin' });
  t.after(() => proxy.stop());
  const meta = { proxy_port: String(proxyPort) };
  await proxy.update([inst('echo', 'a-dead', 1, { meta }), inst('echo', 'b-nc', echoPort, { meta })]);

  const exchange = () =>
    new Promise<string>((resolve, reject) => {
      const c = connect({ host: '127.0.0.1', port: proxyPort, allowHalfOpen: true });
      let got = '';
      c.on('data', (d) => {
        got += d;
        if (got.endsWith('\n')) c.end();
      });
      c.on('end', () => resolve(got));
      c.on('error', reject);
      c.write('ping through maestro\n');
    });
  await eventually(async () => (await exchange()) === 'ping through maestro\n', 10_000, 'nc echo via the proxy port');
  for (let i = 0; i < 4; i++) assert.equal(await exchange(), 'ping through maestro\n');
  const m = proxy.metrics().services[0];
  assert.ok(m.instances.find((i) => i.id === 'a-dead')!.connectErrors >= 1);
  assert.equal(m.failedConnections, 0);
});
