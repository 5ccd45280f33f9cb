/**
 * Run as a child process by teardown.test.ts (never by the test runner itself): a worker thread
 * loads both addons through the real components (the proxy's L4 listener → tcp-relay, the DNS UDP
 * listener → udp-batch), this thread loads them with traffic, and the worker is ended under load —
 * by `terminate()` or by `process.exit()` inside it, as the first argument says. The addons' libuv
 * handles must all close before the worker's environment and the addon code go away: a close
 * callback after that crashes the whole process (SIGSEGV), which the parent test sees as the exit
 * signal. Exits 0 after the worker is gone and every client saw its connection end.
 */
import { createSocket } from 'node:dgram';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import type { UdpBatchAddon } from '../../src/dns/udp-native.js';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

interface Ready {
  l4Port: number;
  udpPort: number;
}

const TUNNELS = 40;

/** Which addons the worker loads: `both` (default), `tcp-relay` or `udp-batch`. */
type Addons = 'both' | 'tcp-relay' | 'udp-batch';

if (isMainThread) await main(process.argv[2] === 'exit' ? 'exit' : 'terminate', (process.argv[3] ?? 'both') as Addons);
else await worker(workerData as { mode: string; addons: Addons });

async function worker({ mode, addons }: { mode: string; addons: Addons }): Promise<void> {
  const { createProxy } = await import('../../src/proxy/index.js');
  const { serveUdpNative } = await import('../../src/dns/udp-native.js');
  const { loadNative } = await import('../../src/native/index.js');
  const { silentLogger } = await import('../../src/log/index.js');
  const { loadTcpRelay } = await import('../../src/proxy/l4-native.js');
  // This worker's env is its own copy: MAESTRO_NATIVE=0 keeps tcp-relay unloaded (the JS relay serves).
  if (addons === 'udp-batch') process.env.MAESTRO_NATIVE = '0';
  const relay = addons === 'udp-batch' ? { active: () => TUNNELS } : loadTcpRelay();
  if (relay === undefined) throw new Error('tcp-relay addon not built');
  const backend = createServer({ allowHalfOpen: true }, (c) => c.on('error', () => undefined).pipe(c));
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()));
  const l4Port = await new Promise<number>((r) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => r(port));
    });
  });
  const proxy = await createProxy({ httpAddr: '127.0.0.1:0', l4Bind: '127.0.0.1' });
  const instance = { id: 'i1', service: 'svc', name: 'i1', host: 'h1', address: '127.0.0.1', port: (backend.address() as AddressInfo).port, tags: [], meta: { proxy_port: String(l4Port) }, health: 'passing' as const };
  await proxy.update([instance]);
  let udpPort = 0;
  if (addons !== 'tcp-relay') {
    const udpBatch = loadNative<UdpBatchAddon>('udp-batch', {});
    if (udpBatch === undefined) throw new Error('udp-batch addon not built');
    udpPort = serveUdpNative(udpBatch, { host: '127.0.0.1', port: 0 }, (msg: Buffer) => Buffer.from(msg), silentLogger).port;
  }
  parentPort!.postMessage({ l4Port, udpPort } satisfies Ready);
  parentPort!.on('message', (m: string) => {
    if (m === 'active?') parentPort!.postMessage({ active: relay.active() });
    if (m === 'exit') {
      // Some tunnels are mid-close (close() called, libuv close callbacks pending) as the env goes.
      if (mode === 'exit') for (let i = 0; i < 5; i++) proxy.stop();
      process.exit(0);
    }
  });
}

async function main(mode: 'exit' | 'terminate', addons: Addons): Promise<void> {
  const w = new Worker(new URL(import.meta.url), { workerData: { mode, addons } });
  const exited = new Promise<number>((r) => w.once('exit', r));
  // A worker that fails to start (an addon missing) is this scenario's failure, not a hang.
  w.on('error', (err) => {
    console.error('worker error:', err);
    process.exit(3);
  });
  const ready = await new Promise<Ready>((r) => w.once('message', r));
  const clients: Socket[] = [];
  let stopped = false;
  for (let i = 0; i < TUNNELS; i++) {
    const c = connect({ host: '127.0.0.1', port: ready.l4Port });
    c.on('error', () => undefined);
    // ping-pong forever: every echo triggers the next write, so the relay is busy at the end
    c.on('data', () => !stopped && c.write('ping'));
    c.once('connect', () => c.write('ping'));
    clients.push(c);
  }
  const udp = createSocket('udp4');
  if (ready.udpPort) {
    udp.on('message', () => !stopped && udp.send(Buffer.alloc(40, 1), ready.udpPort, '127.0.0.1'));
    for (let i = 0; i < 64; i++) udp.send(Buffer.alloc(40, 1), ready.udpPort, '127.0.0.1');
  }
  // Wait until every client's pair is on the native relay.
  for (;;) {
    w.postMessage('active?');
    const { active } = await new Promise<{ active: number }>((r) => w.once('message', r));
    if (active >= TUNNELS) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const ended = Promise.all(clients.map((c) => new Promise((r) => (c.destroyed ? r(0) : c.once('close', r)))));
  if (mode === 'terminate') void w.terminate();
  else w.postMessage('exit');
  const code = await exited;
  await ended;
  stopped = true;
  udp.close();
  console.log(`worker exited with ${code}; ${TUNNELS} clients saw their connections end`);
}
