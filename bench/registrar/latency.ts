/**
 * Registration latency: from `docker start` returning to the instance being visible in the embedded
 * catalog (seen by a blocking catalog read, as DNS and the proxies see it), and from `docker kill`
 * returning to the instance being gone. Containers are started one at a time so each figure is
 * one event's path: Docker event → inspect → map → catalog write → watcher wake-up.
 * (churn.ts measures the same path under a storm of starts and kills.)
 *
 *   node .build/<you>/bench/registrar/latency.js [count=60]
 *
 * A negative latency (the event overtook the API response) counts as 0.
 */
import { performance } from 'node:perf_hooks';
import { ensureTestImage, removeScope, SCOPE_LABEL, TEST_IMAGE, uniqueScope } from '../../test/support/docker.js';
import { api } from './fleet.js';
import { follow, pct, row } from './follow.js';

const count = Number(process.argv[2] ?? 60);
const TARGET_P99_MS = 100;
const scope = uniqueScope('bench-reg');

await ensureTestImage();
const follower = await follow({ host: 'bench', labels: [`${SCOPE_LABEL}=${scope}`] });

const up: number[] = [];
const down: number[] = [];
try {
  for (let i = 0; i < count; i++) {
    const c = await api.createContainer({
      Image: TEST_IMAGE,
      Cmd: ['sleep', '3600'],
      Labels: { [SCOPE_LABEL]: scope, 'maestro.service': 'bench' },
      ExposedPorts: { '80/tcp': {} },
      HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
    });
    const appeared = follower.expect(c.id, true);
    await c.start();
    const started = performance.now();
    up.push(Math.max(0, (await appeared) - started));
    const vanished = follower.expect(c.id, false);
    await c.kill();
    const killed = performance.now();
    down.push(Math.max(0, (await vanished) - killed));
  }
} finally {
  await follower.close();
  await removeScope(scope);
}

console.log(`registrar latency over ${count} containers (embedded catalog, advertise 127.0.0.1)`);
console.log(row('start → visible', up));
console.log(row('kill → gone', down));
console.log(`p99 / target (${TARGET_P99_MS} ms): ${(pct(up, 99) / TARGET_P99_MS).toFixed(2)}  ${pct(up, 99) <= TARGET_P99_MS ? 'OK' : 'OVER TARGET'}`);
console.log(`registrar metrics: ${JSON.stringify(follower.registrar.metrics())}`);
