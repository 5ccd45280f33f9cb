/**
 * A scripted DockerPort for registrar tests that need exact control over ordering and failures
 * (subscribe-before-list, a stream that drops, a daemon that is down). Real-daemon behaviour is
 * covered by the *.docker.test.ts files.
 */
import { DockerError, type ContainerEvent, type ContainerInfo, type DockerPort, type EventHooks } from '../../src/docker/types.js';

export class FakeDocker implements DockerPort {
  readonly containers = new Map<string, ContainerInfo>();
  /** Calls in order: 'events', 'list', 'inspect:<id>'. */
  readonly calls: string[] = [];
  /** While true, every call (and every new subscription) fails as if the daemon were down. */
  down = false;
  private streams = new Set<{ push: (e: ContainerEvent) => void; end: (err?: Error) => void }>();

  /** Changes a container and emits the event a daemon would. */
  set(c: ContainerInfo, action = 'start'): void {
    this.containers.set(c.id, c);
    this.emit({ action, id: c.id, time: Date.now(), attributes: { ...c.labels, name: c.name } });
  }

  destroy(id: string): void {
    const c = this.containers.get(id);
    this.containers.delete(id);
    this.emit({ action: 'destroy', id, time: Date.now(), attributes: { ...(c?.labels ?? {}) } });
  }

  emit(e: ContainerEvent): void {
    for (const s of this.streams) s.push(e);
  }

  /** Ends every open stream, as a daemon restart does. */
  drop(): void {
    for (const s of this.streams) s.end(new DockerError('unavailable', 'event stream ended'));
  }

  get subscribers(): number {
    return this.streams.size;
  }

  async ping(): Promise<void> {
    this.check();
  }
  async info(): Promise<never> {
    throw new Error('not used');
  }
  async listContainers(): Promise<ContainerInfo[]> {
    this.calls.push('list');
    this.check();
    return [...this.containers.values()].filter((c) => c.running);
  }
  async inspect(id: string): Promise<ContainerInfo | undefined> {
    this.calls.push(`inspect:${id}`);
    this.check();
    return this.containers.get(id);
  }

  async *events(signal: AbortSignal, hooks: EventHooks = {}): AsyncIterable<ContainerEvent> {
    this.calls.push('events');
    this.check();
    const queue: ContainerEvent[] = [];
    let ended: Error | null | undefined;
    let notify: (() => void) | undefined;
    const stream = {
      push: (e: ContainerEvent) => (queue.push(e), notify?.()),
      end: (err?: Error) => ((ended = err ?? null), notify?.()),
    };
    this.streams.add(stream);
    const onAbort = () => stream.end();
    signal.addEventListener('abort', onAbort, { once: true });
    hooks.onOpen?.();
    try {
      for (;;) {
        while (queue.length) yield queue.shift()!;
        if (ended !== undefined) {
          if (ended && !signal.aborted) throw ended;
          return;
        }
        await new Promise<void>((r) => (notify = r));
      }
    } finally {
      this.streams.delete(stream);
      signal.removeEventListener('abort', onAbort);
    }
  }

  async run(): Promise<never> {
    throw new Error('not used');
  }
  async stop(): Promise<void> {}
  async remove(): Promise<void> {}
  async hasImage(): Promise<boolean> {
    return true;
  }
  async pullImage(): Promise<void> {}
  async ensureVolume(): Promise<void> {}
  async removeVolume(): Promise<'missing'> {
    return 'missing';
  }

  async logTail(): Promise<string> {
    return '';
  }

  private check() {
    if (this.down) throw new DockerError('unavailable', 'daemon down (fake)');
  }
}
