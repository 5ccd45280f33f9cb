/**
 * Chromium driven over the bare DevTools protocol, for the first-paint benchmark: a browser as a
 * user runs it, with nothing attached to its pages but what a measurement needs. playwright attaches
 * to every page and enables its domains (runtime, network, page lifecycle, its own script world),
 * and the browser process relays each of their events: on this 2-core machine that cost the page's
 * first paint 100–150 ms (rounds back to back: medians 496–500 ms under playwright, 328–496 ms, most
 * near 340–364, over this client).
 * Pages are opened with Target.createTarget and attached flat with no domain enabled; the benchmark
 * only navigates and evaluates.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';

export interface Chromium {
  /** One DevTools call: on the browser, or on a page's flat session. */
  send<T = any>(method: string, params?: object, sessionId?: string): Promise<T>;
  /** Calls `listener` with each event `method` (e.g. Tracing.tracingComplete) until the returned function is called. */
  on(method: string, listener: (params: any, sessionId?: string) => void): () => void;
  /** The browser's process id (its renderers, GPU and network processes are its descendants). */
  pid: number;
  close(): Promise<void>;
}

/** Headless chromium keeps this much of a window's height for browser UI it does not draw. */
const HIDDEN_UI_PX = 87;

/**
 * Launches headless chromium with a fresh profile and a window whose page viewport is `viewport`. The flags keep
 * it on loopback (no background networking, component updates, sync or field trials fetched) and
 * off the sandbox only as root, where chromium refuses to start with it.
 */
export async function launchChromium(executable: string, viewport: { width: number; height: number }): Promise<Chromium> {
  const profile = mkdtempSync(join(tmpdir(), 'maestro-bench-chromium-'));
  const args = [
    '--headless', `--user-data-dir=${profile}`, '--remote-debugging-port=0', `--window-size=${viewport.width},${viewport.height + HIDDEN_UI_PX}`,
    '--no-first-run', '--no-default-browser-check', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--disable-domain-reliability', '--disable-field-trial-config', '--metrics-recording-only',
    ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
    'about:blank',
  ];
  // A process group of its own, so that closing it ends its helper processes too.
  const child = spawn(executable, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  // A benchmark that fails half-way leaves no browser behind.
  process.once('exit', () => endGroup(child));
  try {
    const endpoint = await devToolsEndpoint(child);
    const ws = new WebSocket(endpoint);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client(ws, child, profile);
  } catch (err) {
    endGroup(child);
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    throw err;
  }
}

function endGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // the group has ended already
  }
}

/** chromium prints "DevTools listening on ws://…" on stderr once the port is open. */
function devToolsEndpoint(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`chromium did not open its DevTools port within 30 s: ${seen.slice(-400)}`)), 30_000);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      seen += chunk;
      const found = /DevTools listening on (ws:\/\/\S+)/.exec(seen);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`chromium exited (${code}) before opening its DevTools port: ${seen.slice(-400)}`));
    });
  });
}

function client(ws: WebSocket, child: ChildProcess, profile: string): Chromium {
  let lastId = 0;
  const waiting = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void; method: string }>();
  const listeners = new Set<{ method: string; listener: (params: any, sessionId?: string) => void }>();
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as { id?: number; method?: string; params?: unknown; sessionId?: string; result?: unknown; error?: { message: string } };
    if (message.method !== undefined) {
      for (const l of listeners) if (l.method === message.method) l.listener(message.params, message.sessionId);
      return;
    }
    const call = message.id === undefined ? undefined : waiting.get(message.id);
    if (!call) return;
    waiting.delete(message.id!);
    if (message.error) call.reject(new Error(`${call.method}: ${message.error.message}`));
    else call.resolve(message.result);
  });
  ws.on('close', () => {
    for (const call of waiting.values()) call.reject(new Error(`${call.method}: the browser closed its DevTools connection`));
    waiting.clear();
  });
  return {
    pid: child.pid!,
    on(method, listener) {
      const entry = { method, listener };
      listeners.add(entry);
      return () => void listeners.delete(entry);
    },
    send(method, params = {}, sessionId) {
      return new Promise((resolve, reject) => {
        const id = ++lastId;
        waiting.set(id, { resolve, reject, method });
        ws.send(JSON.stringify({ id, method, params, sessionId }));
      });
    },
    async close() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      ws.close();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
      // Helper processes still writing into the profile would make its removal fail (ENOTEMPTY).
      endGroup(child);
      rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
}
