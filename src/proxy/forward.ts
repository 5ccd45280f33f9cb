/**
 * What every forwarding path (L7 exchanges in http1/, L4 tunnels in l4.ts) shares: the balancing
 * policy, ejection settings, the retry bound, logging and the registry of open tunnels.
 */
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { AccessLog } from './access-log.js';
import type { EjectionOptions } from './ejection.js';
import type { Policy } from './policy.js';

export interface ForwardContext {
  policy: Policy;
  ejection: EjectionOptions;
  /** Most instances one request is tried on. */
  attempts: number;
  log: Logger;
  /** Which exchanges are logged, and the batch their lines wait in (see access-log.ts). */
  accessLog: AccessLog;
  /** Open L4 and upgrade sockets (both ends), so stop() can cut what outlives the listeners. */
  tunnels: Set<Duplex>;
}
