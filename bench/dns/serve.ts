/**
 * A Maestro DNS server over a fixed dataset, run as its own process so the benchmark can pin it:
 *   node serve.js PORT SERVICES PER_SERVICE HOSTS [auto|node]   → prints "ready PORT UDP_IO" once the
 * table is built (UDP_IO: which UDP path serves, `native` or `node`).
 */
import { startDnsServer } from '../../src/dns/index.js';
import { staticCatalog } from '../../test/dns/fixtures.js';
import { dataset } from './dataset.js';

const [port, services, perService, hosts] = process.argv.slice(2, 6).map(Number);
const udpIo = process.argv[6] === 'node' ? 'node' : 'auto';
const data = dataset(services ?? 50, perService ?? 3, hosts ?? 10);
const server = await startDnsServer({
  catalog: staticCatalog(data.instances, data.hosts),
  zone: 'cluster',
  addr: { host: '127.0.0.1', port: port ?? 0 },
  udpIo,
});
await server.synced();
process.stdout.write(`ready ${server.address().port} ${server.udpIo}\n`);
process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
