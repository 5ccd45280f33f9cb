/** An in-memory DockerPort for the agent's loop tests: containers, events, and an outage switch. */
import { DockerError, type ContainerEvent, type ContainerInfo, type ContainerSpec, type DockerPort, type EngineInfo, type ListFilter } from '../../src/docker/types.js';

export class FakeDocker implements DockerPort {
  readonly containers = new Map<string, ContainerInfo>();
  readonly images = new Set<string>(['img:1']);
  private down = false;
  private seq = 0;
  private readonly subscribers = new Set<{ push(e?: ContainerEvent): void }>();

  setDown(down: boolean): void {
    this.down = down;
    for (const s of this.subscribers) s.push(); // wake streams so they notice
  }

  private check(): void {
    if (this.down) throw new DockerError('unavailable', 'fake daemon down');
  }

  private emit(action: string, c: ContainerInfo): void {
    for (const s of this.subscribers) s.push({ action, id: c.id, time: Date.now(), attributes: { ...c.labels } });
  }

  async ping(): Promise<void> {
    this.check();
  }

  async info(): Promise<EngineInfo> {
    this.check();
    return { name: 'fake', cpus: 4, memoryBytes: 8 * 1024 ** 3, serverVersion: 'fake' };
  }

  async listContainers(filter: ListFilter = {}): Promise<ContainerInfo[]> {
    this.check();
    return [...this.containers.values()]
      .filter((c) => filter.all || c.running)
      .filter((c) => (filter.labels ?? []).every((l) => {
        const [k, v] = l.split('=', 2) as [string, string | undefined];
        return v === undefined ? k in c.labels : c.labels[k] === v;
      }))
      .map((c) => structuredClone(c));
  }

  async inspect(id: string): Promise<ContainerInfo | undefined> {
    this.check();
    const c = this.containers.get(id);
    return c && structuredClone(c);
  }

  async *events(signal: AbortSignal): AsyncIterable<ContainerEvent> {
    this.check();
    const queue: ContainerEvent[] = [];
    let wake: (() => void) | undefined;
    const sub = { push: (e?: ContainerEvent) => { if (e) queue.push(e); wake?.(); } };
    this.subscribers.add(sub);
    const onAbort = () => wake?.();
    signal.addEventListener('abort', onAbort);
    try {
      while (!signal.aborted) {
        this.check();
        const next = queue.shift();
        if (next) yield next;
        else await new Promise<void>((r) => (wake = r));
      }
    } finally {
      this.subscribers.delete(sub);
      signal.removeEventListener('abort', onAbort);
    }
  }

  async run(spec: ContainerSpec): Promise<string> {
    this.check();
    if ([...this.containers.values()].some((c) => c.name === spec.name)) throw new DockerError('conflict', `name ${spec.name} in use`);
    const id = `fake${++this.seq}`;
    const c: ContainerInfo = {
      id, name: spec.name, image: spec.image, labels: { ...spec.labels }, env: { ...spec.env }, running: true, paused: false,
      ports: (spec.ports ?? []).map((p) => ({ containerPort: p.containerPort, protocol: p.protocol ?? 'tcp', hostIp: '0.0.0.0', hostPort: p.hostPort || 30000 + this.seq })),
      ipAddress: '172.17.0.2', networkMode: spec.networkMode ?? 'bridge', startedAt: new Date().toISOString(),
      health: spec.healthcheck ? 'starting' : undefined,
    };
    this.containers.set(id, c);
    this.emit('start', c);
    return id;
  }

  /** Simulates the process exiting (or `docker kill`). */
  exit(id: string, code: number): void {
    const c = this.containers.get(id);
    if (!c || !c.running) return;
    c.running = false;
    c.exitCode = code;
    this.emit('die', c);
  }

  async stop(id: string): Promise<void> {
    this.check();
    this.exit(id, 143);
  }

  async remove(id: string): Promise<void> {
    this.check();
    const c = this.containers.get(id);
    if (!c) return;
    this.containers.delete(id);
    this.emit('destroy', c);
  }

  async hasImage(ref: string): Promise<boolean> {
    this.check();
    return this.images.has(ref);
  }

  async pullImage(ref: string): Promise<void> {
    this.check();
    if (!this.images.has(ref)) throw new DockerError('image_unavailable', `cannot pull ${ref}`);
  }

  /** Volumes by name, with their labels. */
  readonly volumes = new Map<string, Record<string, string>>();

  async ensureVolume(name: string, labels: Record<string, string>): Promise<void> {
    this.check();
    if (!this.volumes.has(name)) this.volumes.set(name, labels);
  }

  async removeVolume(name: string): Promise<'removed' | 'missing' | 'in_use'> {
    this.check();
    return this.volumes.delete(name) ? 'removed' : 'missing';
  }

  /** What each container "wrote", for logTail. */
  readonly output = new Map<string, string>();

  async logTail(id: string, lines: number): Promise<string> {
    this.check();
    return (this.output.get(id) ?? '').split('\n').filter(Boolean).slice(-lines).join('\n');
  }
}
