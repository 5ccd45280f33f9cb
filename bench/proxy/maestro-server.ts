/**
 * The Maestro proxy as a bench subject, in its own process so `taskset` can pin it:
 *   node maestro-server.js <backend ports, comma-separated> <l4 port> [policy]
 * Prints `{"http":<port>,"l4":<port>}` once both listeners are up; exits on stdin close.
 */
import { createProxy } from '../../src/proxy/index.js';
import type { ServiceInstance } from '../../src/catalog/types.js';

const [portsArg, l4Arg, policy] = process.argv.slice(2);
const l4Port = Number(l4Arg);
const instances: ServiceInstance[] = portsArg.split(',').map((p, i) => ({
  id: `bench:${i}:${p}`,
  service: 'web',
  name: `web-${i}`,
  host: 'bench',
  address: '127.0.0.1',
  port: Number(p),
  tags: [],
  meta: { proxy_port: String(l4Port) },
  health: 'passing',
}));

// No logger: access lines are off (as they would be at level `warn`), so the data path is measured.
const proxy = await createProxy({ httpAddr: '127.0.0.1:0', l4Bind: '127.0.0.1', policy: policy || undefined });
await proxy.update(instances);
process.stdout.write(`${JSON.stringify({ http: proxy.httpAddress().port, l4: proxy.l4Ports()[0] })}\n`);
process.stdin.resume();
process.stdin.on('end', () => void proxy.stop().then(() => process.exit(0)));
