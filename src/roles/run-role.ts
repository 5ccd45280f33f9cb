import { formatHostPort, type RoleName } from '../config/index.js';
import { nativeStatus } from '../native/index.js';
import { createRuntime, reportStartupFailure, writeAddresses, type Runtime } from './runtime.js';

/**
 * Runs a role: builds the runtime from the flags `role` takes, starts what `start` starts, publishes the chosen addresses,
 * then waits for a signal and shuts down in order. Startup failures print a clear message.
 */
export async function runRole(
  role: RoleName,
  argv: string[],
  start: (rt: Runtime) => Promise<Record<string, { host: string; port: number }>>,
): Promise<number> {
  let rt: Runtime | undefined;
  try {
    rt = createRuntime(role, argv, process.env);
    const addresses = await start(rt);
    const path = writeAddresses(rt.config.dataDir, addresses);
    const native = nativeStatus();
    rt.log.info(
      {
        host: rt.config.host,
        ...Object.fromEntries(Object.entries(addresses).map(([k, v]) => [k, formatHostPort(v)])),
        addressesFile: path,
        // Which I/O fast paths serve (native/README.md); a missing one costs speed, not behaviour.
        native: native.loaded,
        ...(Object.keys(native.missing).length ? { nativeMissing: native.missing } : {}),
      },
      'maestro is up',
    );
  } catch (err) {
    const code = reportStartupFailure(err, role);
    // Undo what did start, so a half-started process does not linger on its ports.
    await rt?.shutdown();
    return code;
  }
  return rt.untilShutdown();
}
