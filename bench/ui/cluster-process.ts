/**
 * The simulated cluster's API in a process of its own (forked by `simulatedClusterProcess`), as a
 * real API runs: in the benchmark's own process it would share an event loop with playwright,
 * whose handling of the browser's protocol messages during a load delays the API's answers.
 * `--token=T`: the API asks for T. Tells its parent `{ url }` when it listens; stops when the parent says `stop` or goes away.
 */
import { simulatedCluster } from './simulated-cluster.js';

const token = process.argv.find((a) => a.startsWith('--token='))?.slice('--token='.length);
const cluster = await simulatedCluster(token);
process.send?.({ url: cluster.url });
const stop = async (): Promise<void> => {
  await cluster.stop();
  process.exit(0);
};
process.on('message', (m) => {
  if (m === 'stop') void stop();
});
process.on('disconnect', () => void stop());
