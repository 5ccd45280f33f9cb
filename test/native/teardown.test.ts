/**
 * Both addons survive the teardown of the environment that loaded them: a worker thread serving
 * L4 tunnels (tcp-relay) and DNS over UDP (udp-batch) under load is ended by terminate() and by
 * process.exit() inside it. Before their async cleanup hooks, libuv ran their close callbacks after
 * Node had unloaded the addon and the process died of SIGSEGV, 3 of 3. The scenario runs in a
 * child process (teardown-scenario.ts) so a crash is an exit signal here, not the runner's death.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadNative } from '../../src/native/index.js';

const scenario = fileURLToPath(new URL('./teardown-scenario.js', import.meta.url));

/** Runs the scenario; resolves with how the child ended and what it printed. */
export function runScenario(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [scenario, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out });
    });
  });
}

// Under MAESTRO_REQUIRE_NATIVE=1 (CI) a missing addon throws here: a failure, not a skip.
const built = loadNative('tcp-relay') !== undefined && loadNative('udp-batch') !== undefined;

for (const mode of ['terminate', 'exit']) {
  for (const addons of ['tcp-relay', 'udp-batch', 'both']) {
    test(`${addons} in a worker ended by ${mode}() under load: the process lives on`, { skip: !built && 'addons not built (node scripts/build-native.mjs)' }, async () => {
      for (let round = 0; round < (addons === 'both' ? 3 : 1); round++) {
        const r = await runScenario([mode, addons]);
        assert.equal(r.signal, null, `round ${round}: killed by ${r.signal}\n${r.out}`);
        assert.equal(r.code, 0, `round ${round}: exit code ${r.code}\n${r.out}`);
        assert.match(r.out, /40 clients saw their connections end/);
      }
    });
  }
}
