/**
 * Turning etcd key-values and watch events under the cluster prefix into feed batches. Pure apart
 * from the host table it keeps: a host's record and its liveness are two keys (hosts.ts), and a
 * batch reports the host as a whole, so the follower remembers both to report either change.
 */
import type { IKeyValue } from 'etcd3';
import type { HostRecord } from '../types.js';
import type { FeedBatch } from '../feed/types.js';
import { decodeHost, decodeInstance } from './codec.js';
import type { EtcdContext } from './context.js';
import { kvEntryOf } from './kv.js';

export interface EtcdEvent {
  type: 'Put' | 'Delete';
  kv: IKeyValue;
}

export class FeedDecoder {
  private readonly records = new Map<string, HostRecord>();
  private readonly alive = new Set<string>();

  constructor(
    private readonly ctx: EtcdContext,
    /** The port's KV prefix followed (`maestro/`). */
    private readonly prefix: string,
  ) {}

  /** A full listing (hosts, instances and the KV prefix, read at one revision) as a reset batch. */
  reset(index: number, kvs: IKeyValue[]): FeedBatch {
    this.records.clear();
    this.alive.clear();
    const batch: FeedBatch = { index, reset: true, kv: [], hosts: [], instances: [] };
    const touched = new Set<string>();
    for (const kv of kvs) this.add(batch, touched, { type: 'Put', kv });
    this.hostsInto(batch, touched);
    // A liveness key without its record (written between the two ranges' keys) is no host.
    batch.hosts = batch.hosts.filter((h) => h.host);
    return batch;
  }

  /** Remembers the hosts at the revision a follower starts from (without emitting them). */
  seedHosts(kvs: IKeyValue[]): void {
    this.records.clear();
    this.alive.clear();
    const scratch: FeedBatch = { index: 0, reset: false, kv: [], hosts: [], instances: [] };
    for (const kv of kvs) this.add(scratch, new Set(), { type: 'Put', kv });
  }

  /** One watch response (whole revisions: etcd never splits one across responses) as a batch. */
  events(events: EtcdEvent[]): FeedBatch {
    const batch: FeedBatch = { index: 0, reset: false, kv: [], hosts: [], instances: [] };
    const touched = new Set<string>();
    for (const ev of events) {
      batch.index = Math.max(batch.index, Number(ev.kv.mod_revision));
      this.add(batch, touched, ev);
    }
    this.hostsInto(batch, touched);
    return batch;
  }

  private add(batch: FeedBatch, touched: Set<string>, ev: EtcdEvent): void {
    const { keys } = this.ctx;
    const key = ev.kv.key.toString();
    const put = ev.type === 'Put';
    if (key.startsWith(keys.kvPrefix)) {
      const portKey = keys.portKey(key);
      if (!portKey.startsWith(this.prefix)) return;
      batch.kv.push(put ? { key: portKey, entry: kvEntryOf(this.ctx, ev.kv) } : { key: portKey });
    } else if (key.startsWith(keys.instancesPrefix)) {
      const id = instanceIdOf(key.slice(keys.instancesPrefix.length));
      if (id === undefined) return;
      // A malformed value is never handed on: for a follower it is as if the instance were gone.
      const instance = put ? decodeInstance(ev.kv.value) : undefined;
      batch.instances.push(instance && instance.id === id ? { id, instance } : { id });
    } else if (key.startsWith(keys.hostsPrefix)) {
      const parsed = keys.parseHostKey(key);
      if (!parsed) return;
      touched.add(parsed.host);
      if (parsed.alive) {
        if (put) this.alive.add(parsed.host);
        else this.alive.delete(parsed.host);
      } else {
        const record = put ? decodeHost(ev.kv.value) : undefined;
        if (record && record.name === parsed.host) this.records.set(parsed.host, record);
        else this.records.delete(parsed.host);
      }
    }
  }

  private hostsInto(batch: FeedBatch, touched: Set<string>): void {
    for (const name of touched) {
      const record = this.records.get(name);
      batch.hosts.push(record ? { name, host: { ...record, alive: this.alive.has(name) } } : { name });
    }
  }
}

/** `<host>/<id>`, both URI-encoded (keys.ts), to the instance id; undefined for anything else. */
function instanceIdOf(rest: string): string | undefined {
  const parts = rest.split('/');
  if (parts.length !== 2) return undefined;
  try {
    return decodeURIComponent(parts[1]!);
  } catch {
    return undefined;
  }
}
