/**
 * The user bench's HTTP backends: HAProxy answering `http-request return` inside containers, from an
 * image built with `docker import` (no registry is reachable here) out of the host's haproxy and the
 * libraries `ldd` names. Not busybox httpd: it forks per connection and closes after every answer,
 * so it would be the bottleneck and there would be no keep-alive to the backends to measure.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { docker } from '../../test/support/docker.js';

const exec = promisify(execFile);

export const BACKEND_IMAGE = 'maestro-bench:haproxy-backend';
/** Bumped when the image's content changes, so an older local build is replaced. */
const REVISION = '1';
const HAPROXY = '/usr/sbin/haproxy';
const CONFIG = `global
  nbthread 1
  maxconn 4000
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
frontend web
  bind :80
  http-request return status 200 content-type text/plain string "hello from a backend\\n"
`;

/** Builds BACKEND_IMAGE unless this revision of it exists. */
export async function ensureBackendImage(): Promise<void> {
  const label = await docker(['image', 'inspect', '--format', '{{index .Config.Labels "maestro.bench.revision"}}', BACKEND_IMAGE]).catch(() => '');
  if (label === REVISION) return;
  const root = mkdtempSync(join(tmpdir(), 'maestro-bench-rootfs-'));
  try {
    const { stdout } = await exec('ldd', [HAPROXY]);
    const files = [HAPROXY, ...[...stdout.matchAll(/(\/\S+) \(0x/g)].map((m) => m[1]!)];
    for (const f of files) {
      mkdirSync(join(root, dirname(f)), { recursive: true });
      cpSync(f, join(root, f), { dereference: true });
    }
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc/backend.cfg'), CONFIG);
    const changes = `-c 'CMD ["${HAPROXY}","-db","-f","/etc/backend.cfg"]' -c 'LABEL maestro.bench.revision=${REVISION}'`;
    await exec('sh', ['-c', `tar -C '${root}' -c . | docker import ${changes} - ${BACKEND_IMAGE}`], { timeout: 120_000 });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export interface BackendOptions {
  /** Label value marking this run's containers, for clean-up. */
  scope: string;
  /** The Maestro host that registers them: other Maestros on this Docker daemon skip them. */
  host: string;
  service: string;
  /** The L4 proxy port the service asks for (`maestro.proxy`). */
  l4Port: number;
  count: number;
  /** CPUs the containers may run on (`--cpuset-cpus`): away from the proxies under test. */
  cpus: string;
}

export const SCOPE_LABEL = 'maestro.bench.scope';

/** Starts the backends registered by their internal address; returns their IPs. */
export async function startBackends(o: BackendOptions): Promise<string[]> {
  const ips: string[] = [];
  for (let i = 0; i < o.count; i++) {
    const id = await docker([
      'run', '-d', '--cpuset-cpus', o.cpus,
      '-l', `${SCOPE_LABEL}=${o.scope}`,
      '-l', `maestro.host=${o.host}`,
      '-l', `maestro.service=${o.service}`,
      '-l', 'maestro.address=internal',
      '-l', `maestro.proxy=${o.l4Port}`,
      '--expose', '80',
      BACKEND_IMAGE,
    ]);
    ips.push(await docker(['inspect', '--format', '{{.NetworkSettings.IPAddress}}', id]));
  }
  return ips;
}

/** Removes this run's containers; synchronous so it also runs from an `exit` handler. */
export function removeBackendsSync(scope: string): void {
  try {
    const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=${SCOPE_LABEL}=${scope}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
    if (ids.length) execFileSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
  } catch {
    // Docker went away: nothing left to clean through it.
  }
}
