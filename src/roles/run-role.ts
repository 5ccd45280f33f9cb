import { formatHostPort } from '../config/index.js';
import { createRuntime, reportStartupFailure, writeAddresses, type Runtime } from './runtime.js';

/**
 * Runs a role: builds the runtime, starts what `start` starts, publishes the chosen addresses,
 * then waits for a signal and shuts down in order. Startup failures print a clear message.
 */
export async function runRole(
  argv: string[],
  start: (rt: Runtime) => Promise<Record<string, { host: string; port: number }>>,
): Promise<number> {
  let rt: Runtime | undefined;
  try {
    rt = createRuntime(argv, process.env);
    const addresses = await start(rt);
    const path = writeAddresses(rt.config.dataDir, addresses);
    rt.log.info(
      { host: rt.config.host, ...Object.fromEntries(Object.entries(addresses).map(([k, v]) => [k, formatHostPort(v)])), addressesFile: path },
      'maestro is up',
    );
  } catch (err) {
    const code = reportStartupFailure(err);
    // Undo what did start, so a half-started process does not linger on its ports.
    await rt?.shutdown();
    return code;
  }
  return rt.untilShutdown();
}
