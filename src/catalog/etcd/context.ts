import type { Etcd3 } from 'etcd3';
import type { Logger } from '../../log/index.js';
import type { KeyLayout } from './keys.js';

/** What the parts of the adapter share: the client, the key layout and the closed state. */
export interface EtcdContext {
  readonly client: Etcd3;
  readonly keys: KeyLayout;
  readonly logger: Logger;
  isClosed(): boolean;
  /** Ends every pending blocking read (as `closed`); filled by blocking.ts, drained by close(). */
  readonly pending: Set<() => void>;
  /** Runs one etcd operation, mapping any failure onto a `CatalogError` (client.ts `call`). */
  call<T>(what: string, fn: () => Promise<T>): Promise<T>;
}

export const utf8 = (b: Buffer | string): Buffer => (typeof b === 'string' ? Buffer.from(b) : b);
