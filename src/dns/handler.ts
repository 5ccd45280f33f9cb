/**
 * One listener's message handler: the answerer over the shared table, plus forwarding of out-of-zone
 * names to this listener's own upstreams (none → REFUSED). Every listener of a server shares the
 * table (through `Zone`), the metrics and one cap on forwarded queries in flight; only the upstreams
 * differ — the main listener forwards to `--dns-forward`, the containers' one to the host's resolvers.
 */
import type { HostPort } from '../config/index.js';
import { answer, fitForwarded, FORWARD, servfail, type AnswerContext } from './answer.js';
import { forward } from './forward.js';
import type { DnsMetrics } from './metrics.js';
import type { ZoneTable } from './table.js';
import type { Handler } from './udp.js';

/** Each forwarded query holds a socket until answered or timed out. */
export const MAX_FORWARDS_IN_FLIGHT = 512;

/** What the listeners of one server share: the current table (swapped by the server), metrics, the forward cap. */
export class Zone {
  private readonly contexts: AnswerContext[] = [];
  private current: ZoneTable | undefined;
  /** Forwarded queries waiting on an upstream, over all listeners. */
  inFlight = 0;

  constructor(readonly zoneKey: string, readonly metrics: DnsMetrics, readonly forwardTimeoutMs: number) {}

  table(): ZoneTable | undefined {
    return this.current;
  }

  /** Swaps the table every listener answers from (each has its own context: the hot path reads a plain field). */
  setTable(table: ZoneTable): void {
    this.current = table;
    for (const ctx of this.contexts) ctx.table = table;
  }

  /**
   * The handler of one listener. A flood of out-of-zone names gets SERVFAIL beyond
   * MAX_FORWARDS_IN_FLIGHT instead of exhausting file descriptors.
   */
  handler(upstreams: readonly HostPort[]): Handler {
    const ctx: AnswerContext = { table: this.current, zoneKey: this.zoneKey, forwarding: upstreams.length > 0, metrics: this.metrics };
    this.contexts.push(ctx);
    const opts = { upstreams, timeoutMs: this.forwardTimeoutMs };
    return (msg: Buffer, udp: boolean) => {
      const res = answer(ctx, msg, udp);
      if (res !== FORWARD) return res;
      if (this.inFlight >= MAX_FORWARDS_IN_FLIGHT) {
        this.metrics.forwardFailures++;
        return servfail(ctx, msg);
      }
      this.inFlight++;
      // `msg` is only valid during this call (on the native UDP path it is a view of the receive
      // arena the next batch overwrites): the forward and its SERVFAIL work on a copy.
      const own = Buffer.from(msg);
      const done = forward(own, !udp, opts).finally(() => this.inFlight--);
      return done.then((up) => {
        if (up) return udp ? fitForwarded(up, own) : up;
        this.metrics.forwardFailures++;
        return servfail(ctx, own);
      });
    };
  }
}
