/**
 * Many containers for the registrar churn bench, through the real dockerd: created with a scope label
 * (only this run's registrar sees them) and removed in bulk, also from an `exit` handler. Each
 * exposes port 80 and is registered by its internal address (`maestro.address=internal`), so no
 * docker-proxy process is started per container.
 */
import { execFileSync } from 'node:child_process';
import Docker from 'dockerode';
import { performance } from 'node:perf_hooks';
import { SCOPE_LABEL, TEST_IMAGE } from '../../test/support/docker.js';

export const api = new Docker({ socketPath: '/var/run/docker.sock' });

/** Runs `fn` over `items` with at most `limit` at a time. */
export async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Creates `count` stopped containers of service `service`; returns their ids. */
export async function createFleet(scope: string, service: string, count: number, concurrency = 8): Promise<string[]> {
  const ids: string[] = [];
  await pool(Array.from({ length: count }, (_, i) => i), concurrency, async () => {
    const c = await api.createContainer({
      Image: TEST_IMAGE,
      // SIGKILL is how the churn stops them: `sleep` as PID 1 ignores SIGTERM.
      Cmd: ['sleep', '3600'],
      Labels: { [SCOPE_LABEL]: scope, 'maestro.service': service, 'maestro.address': 'internal' },
      ExposedPorts: { '80/tcp': {} },
    });
    ids.push(c.id);
  });
  return ids;
}

/** The ids of this scope's running containers, as dockerd lists them. */
export async function runningIds(scope: string): Promise<Set<string>> {
  const list = await api.listContainers({ filters: { label: [`${SCOPE_LABEL}=${scope}`], status: ['running'] } });
  return new Set(list.map((c) => c.Id));
}

/**
 * When the last `start` and `die` event of each of the scope's containers reached this process
 * (performance.now()), from a Docker event stream of its own.
 */
export async function stampEvents(
  scope: string,
  onEvent: (id: string, status: 'start' | 'die') => void = () => {},
): Promise<Map<string, { start?: number; die?: number }> & { stop(): void }> {
  const stamps = new Map<string, { start?: number; die?: number }>();
  const stream = (await api.getEvents({ filters: { type: ['container'], event: ['start', 'die'], label: [`${SCOPE_LABEL}=${scope}`] } })) as NodeJS.ReadableStream & { destroy(): void };
  let partial = '';
  stream.on('data', (chunk: Buffer) => {
    const now = performance.now();
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines.filter(Boolean)) {
      const e = JSON.parse(line) as { id: string; status: 'start' | 'die' };
      stamps.set(e.id, { ...stamps.get(e.id), [e.status]: now });
      onEvent(e.id, e.status);
    }
  });
  stream.on('error', () => undefined); // ended by stop()
  return Object.assign(stamps, { stop: () => stream.destroy() });
}

/** Removes every container of the scope; synchronous so it also runs from an `exit` handler. */
export function removeFleetSync(scope: string): number {
  try {
    const ids = execFileSync('docker', ['ps', '-aq', '--no-trunc', '--filter', `label=${SCOPE_LABEL}=${scope}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (let i = 0; i < ids.length; i += 100) execFileSync('docker', ['rm', '-f', ...ids.slice(i, i + 100)], { stdio: 'ignore', timeout: 300_000 });
    return ids.length;
  } catch {
    return -1; // Docker went away: nothing left to clean through it
  }
}
