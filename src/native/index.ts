/**
 * Loads the optional Node-API addons compiled from native/<name>.c or native/<name>/ by scripts/build-native.mjs into
 * build/native/. Each user keeps a Node-sockets fallback, so a missing addon only costs speed:
 * `loadNative` returns undefined and says why once in `nativeStatus()`.
 *   MAESTRO_NATIVE=0          never load them (the fallbacks serve; also how tests cover them)
 *   MAESTRO_REQUIRE_NATIVE=1  a missing addon is an error (CI: the fast paths must be what is tested)
 *   MAESTRO_NATIVE_DIR=<dir>  load them from there instead (the sanitizer build of test/native/)
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
/** build/native/ of the package this module was compiled into (dist/ or a private .build/<x>/ tree). */
const DIR = process.env.MAESTRO_NATIVE_DIR || join(packageRoot(dirname(fileURLToPath(import.meta.url))), 'build/native');

function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return from;
  }
}

const loaded = new Map<string, unknown>();
const problems = new Map<string, string>();

export class NativeError extends Error {
  readonly code = 'native_missing';
  constructor(message: string, options?: { cause?: unknown }) {
    super(`native: ${message}`, options);
    this.name = 'NativeError';
  }
}

export function loadNative<T>(name: string, env: NodeJS.ProcessEnv = process.env): T | undefined {
  if (env.MAESTRO_NATIVE === '0') return undefined;
  if (loaded.has(name)) return loaded.get(name) as T;
  try {
    const mod = require(join(DIR, `${name}.node`)) as T;
    loaded.set(name, mod);
    return mod;
  } catch (err) {
    const reason = (err as Error).message.split('\n')[0]!;
    problems.set(name, reason);
    if (env.MAESTRO_REQUIRE_NATIVE === '1') {
      throw new NativeError(`addon ${name} is required (MAESTRO_REQUIRE_NATIVE=1) but did not load: ${reason}`, { cause: err });
    }
    return undefined;
  }
}

/** Which addons serve and why the others do not: for logs and `maestro up`'s start-up line. */
export function nativeStatus(): { loaded: string[]; missing: Record<string, string> } {
  return { loaded: [...loaded.keys()], missing: Object.fromEntries(problems) };
}
