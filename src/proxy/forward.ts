/**
 * What every forwarding path (L7 exchanges in http1/, L4 tunnels in l4.ts) shares: the balancing
 * policy, ejection settings, the retry bound, logging and the registry of open tunnels.
 */
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { EjectionOptions } from './ejection.js';
import type { Policy } from './policy.js';

export interface ForwardContext {
  policy: Policy;
  ejection: EjectionOptions;
  /** Most instances one request is tried on. */
  attempts: number;
  log: Logger;
  /** Whether access lines are logged (false when the level would drop them: saves building them). */
  accessLog: boolean;
  /** Open L4 and upgrade sockets (both ends), so stop() can cut what outlives the listeners. */
  tunnels: Set<Duplex>;
}
