/**
 * Runs Maestro as a user would: the built CLI in child processes (`maestro up`, then client verbs),
 * with real Docker, dig and HTTP clients.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestContext } from 'node:test';
import { docker } from '../support/docker.js';
import { eventually } from '../support/wait.js';

const exec = promisify(execFile);
export const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

const stacks = new WeakMap<TestContext, Array<() => unknown>>();

/**
 * Registers a clean-up step that runs after the test in reverse order of registration (node:test
 * runs `t.after` hooks first-in, first-out). Register "remove the job's containers" before starting
 * Maestro, so every Maestro process is stopped first and none of them recreates what was removed.
 */
export function defer(t: TestContext, step: () => unknown): void {
  let stack = stacks.get(t);
  if (!stack) {
    const steps: Array<() => unknown> = [];
    stacks.set(t, (stack = steps));
    t.after(async () => {
      while (steps.length) await steps.pop()!();
    });
  }
  stack.push(step);
}

/** After the test, once every Maestro process of it has stopped: removes the containers of these jobs. */
export function removeJobsAfter(t: TestContext, ...jobs: string[]): void {
  defer(t, async () => {
    for (const job of jobs) {
      const ids = (await docker(['ps', '-aq', '--filter', `label=maestro.job=${job}`])).split('\n').filter(Boolean);
      if (ids.length) await docker(['rm', '-f', ...ids]);
    }
  });
}

export interface Addresses {
  dns: string;
  http: string;
  api: string;
  /** The containers' DNS listener, when this process serves it (`--container-dns`). */
  containerDns?: string;
}

export interface Maestro {
  dataDir: string;
  host: string;
  addresses: Addresses;
  api: string;
  proc: ChildProcess;
  /** Everything the process wrote to stderr so far (its JSON log lines). */
  logs(): string;
  /** SIGTERM, then waits for the exit code. */
  stop(): Promise<number | null>;
}

export interface UpOptions {
  dataDir?: string;
  host?: string;
  extra?: string[];
  /**
   * Serve DNS for containers on the bridge gateway's port 53, as `up` and `agent` do by default.
   * Off unless asked for: one Docker daemon has one 172.17.0.1:53, and the tests share it.
   */
  containerDns?: boolean;
}

/** Starts `maestro up` with port 0 everywhere and waits for its addresses.json. */
export async function startUp(t: TestContext, opts: UpOptions = {}): Promise<Maestro> {
  return startRole(t, 'up', opts);
}

/**
 * Starts a process role (`up`, `agent`, `server`) with port 0 everywhere and waits for its
 * addresses.json. Stopped (SIGTERM) after the test at the latest.
 */
export async function startRole(t: TestContext, role: 'up' | 'agent' | 'server', opts: UpOptions = {}): Promise<Maestro> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), `maestro-${role}-`));
  if (!opts.dataDir) defer(t, () => rmSync(dataDir, { recursive: true, force: true }));
  const host = opts.host ?? `e2e-${Math.random().toString(36).slice(2, 8)}`;
  const addressesFile = join(dataDir, 'addresses.json');
  rmSync(addressesFile, { force: true });
  // Each role takes only the flags of the parts it runs (`server --dns-addr` is a usage error).
  const node = role === 'server' ? [] : [
    '--advertise', '127.0.0.1',
    '--dns-addr', '127.0.0.1:0',
    '--http-addr', '127.0.0.1:0',
    '--proxy-bind', '127.0.0.1',
    '--resync', '2s',
    ...(opts.containerDns ? [] : ['--container-dns', 'off']),
  ];
  const args = [
    MAIN, role,
    '--data-dir', dataDir,
    '--host', host,
    ...(role === 'agent' ? [] : ['--api-addr', '127.0.0.1:0']),
    ...node,
    '--log-level', 'info',
    ...(opts.extra ?? []),
  ];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  proc.stdout!.resume();
  let exited: number | null | undefined;
  const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve((exited = code))));
  const stop = async () => {
    if (exited === undefined) proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
    const code = await exit;
    clearTimeout(timer);
    return code;
  };
  defer(t, stop);
  await eventually(() => {
    if (exited !== undefined) throw new Error(`maestro ${role} exited with ${exited}:\n${stderr.slice(-3000)}`);
    return existsSync(addressesFile);
  }, 30_000, `maestro ${role} to write addresses.json`);
  const addresses = JSON.parse(readFileSync(addressesFile, 'utf8')) as Addresses;
  return { dataDir, host, addresses, api: `http://${addresses.api}`, proc, logs: () => stderr, stop };
}

/**
 * `maestro up` serving DNS for containers on the bridge gateway's port 53, as it does by default.
 * One Docker daemon has one such address and test files run in parallel: while another test's
 * Maestro holds it, this one warns and runs without it (as a user's would), so it is started again
 * until the address is its own.
 */
export async function startUpWithContainerDns(t: TestContext, opts: UpOptions = {}, timeoutMs = 150_000): Promise<Maestro> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = await startUp(t, { ...opts, containerDns: true });
    if (m.addresses.containerDns) return m;
    // The log line may reach the pipe after addresses.json is written.
    const why = await eventually(() => m.logs().split('\n').find((l) => l.includes('DNS for containers')), 10_000, 'why maestro up serves no DNS for containers')
      .catch(() => m.logs().slice(-2000));
    await m.stop();
    if (!/taken/.test(why)) throw new Error(`maestro up serves no DNS for containers, and not because its address is taken: ${why}`);
    if (Date.now() > deadline) throw new Error(`the bridge gateway's port 53 stayed taken for ${timeoutMs} ms (another test's maestro?): ${why}`);
    await new Promise((r) => setTimeout(r, 500)); // polling: the holder frees it when its test ends
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one `maestro` client verb against the given API. */
export async function cli(api: string, args: string[], timeoutMs = 120_000): Promise<CliResult> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [MAIN, ...args, '--api', api], { timeout: timeoutMs });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

export async function cliJson<T>(api: string, args: string[]): Promise<T> {
  const r = await cli(api, [...args, '--json']);
  if (r.code !== 0) throw new Error(`maestro ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** `dig` against Maestro's DNS server; returns the answer lines' data fields. */
export async function dig(server: string, name: string, type = 'A'): Promise<string[]> {
  const [host, port] = server.split(':');
  const { stdout } = await exec('dig', [`@${host}`, '-p', port!, name, type, '+short', '+tcp', '+time=2', '+tries=1']);
  return stdout.split('\n').map((l) => l.trim()).filter(Boolean);
}

/** Writes a job file into a temp dir and returns its path. */
export function jobFile(t: TestContext, name: string, yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'maestro-job-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, yaml);
  return path;
}

/** GET through the L7 proxy with a Host header; returns status and body. */
export function viaProxy(http: string, host: string, path = '/'): Promise<{ status: number; body: string }> {
  // node:http, not fetch: fetch treats Host as a forbidden header and silently replaces it.
  const [hostname, port] = http.split(':');
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port: Number(port), path, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
