/**
 * Job specs are parsed on a worker thread, one at a time, each within a deadline. The spec limits
 * (src/scheduler/spec/limits.ts) bound one parse to well under a second, but even that would stall
 * everything that shares this process's event loop (DNS answers, proxied requests, session renewals),
 * so the loop only ever copies the text over and the Job back. A parse that overruns its deadline or
 * the worker's memory ends the worker; the next parse starts a fresh one.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log/index.js';
import { SpecError, type SpecProblem } from '../scheduler/spec/index.js';
import type { Job } from '../state/index.js';
import { ApiError } from './errors.js';

export type SpecFormat = 'yaml' | 'json';

export interface ParseRequest {
  id: number;
  text: string;
  format: SpecFormat;
}

export type ParseReply =
  | { id: number; ok: true; job: Job }
  | { id: number; ok: false; code: 'invalid_spec'; message: string; problems: SpecProblem[] }
  | { id: number; ok: false; code: 'bad_request' | 'internal'; message: string };

export interface SpecParserOptions {
  logger: Logger;
  /** One parse may take this long (default 5 s; a valid spec takes about a millisecond). */
  timeoutMs?: number;
  /** Parses waiting behind the running one; more are refused with `busy` (default 16). */
  maxQueued?: number;
}

interface Pending extends ParseRequest {
  timeoutMs: number;
  resolve(job: Job): void;
  reject(err: unknown): void;
}

/** The worker's heap: a 64 KiB spec needs a few MB; hostile ones hit a limit long before this. */
const RESOURCE_LIMITS = { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 };

export class SpecParser {
  private worker?: Worker;
  private running?: Pending;
  private timer?: NodeJS.Timeout;
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private stopped = false;
  private readonly timeoutMs: number;
  private readonly maxQueued: number;
  /** Workers ended by a deadline or by running out of memory (exported as a metric). */
  restarts = 0;

  constructor(private readonly opts: SpecParserOptions) {
    this.timeoutMs = opts.timeoutMs ?? 5_000;
    this.maxQueued = opts.maxQueued ?? 16;
  }

  /** `timeoutMs` overrides the parser's deadline for this one parse. */
  parse(text: string, format: SpecFormat, timeoutMs = this.timeoutMs): Promise<Job> {
    if (this.stopped) return Promise.reject(new ApiError('unavailable', 'the API is shutting down'));
    if (this.queue.length >= this.maxQueued) {
      return Promise.reject(new ApiError('busy', `${this.queue.length} job specs are waiting to be parsed; retry in a moment`));
    }
    return new Promise<Job>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, text, format, timeoutMs, resolve, reject });
      this.pump();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const closing = new ApiError('unavailable', 'the API is shutting down');
    for (const p of this.queue.splice(0)) p.reject(closing);
    this.finish(closing);
    await this.end();
  }

  private pump(): void {
    if (this.running || this.stopped) return;
    const next = this.queue.shift();
    if (!next) return;
    this.running = next;
    this.worker ??= this.spawn();
    this.worker.postMessage({ id: next.id, text: next.text, format: next.format } satisfies ParseRequest);
    this.timer = setTimeout(() => {
      this.restarts++;
      this.opts.logger.warn({ ms: next.timeoutMs }, 'job spec parse overran its deadline; restarting the parser');
      this.finish(new SpecError([{ path: '', message: `took longer than ${next.timeoutMs} ms to parse: a job spec is small and simple` }]));
      void this.end();
      this.pump();
    }, next.timeoutMs);
  }

  private spawn(): Worker {
    const worker = new Worker(new URL('./spec-parser-worker.js', import.meta.url), { resourceLimits: RESOURCE_LIMITS });
    // An idle parser must not keep the process alive; pending requests keep their sockets open anyway.
    worker.unref();
    worker.on('message', (reply: ParseReply) => {
      if (reply.id !== this.running?.id) return;
      if (reply.ok) this.finish(undefined, reply.job);
      else if (reply.code === 'invalid_spec') this.finish(new SpecError(reply.problems, true));
      else if (reply.code === 'bad_request') this.finish(new ApiError('bad_request', reply.message));
      else this.finish(new Error(`job spec parser: ${reply.message}`));
      this.pump();
    });
    const died = (err?: Error): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      if (!this.running) return;
      this.restarts++;
      this.opts.logger.warn({ err }, 'job spec parser ended while parsing; restarting it');
      const oom = (err as { code?: string } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.finish(new SpecError([{ path: '', message: oom ? 'too large: parsing it ran out of memory' : 'the parser failed on it' }]));
      this.pump();
    };
    worker.on('error', died);
    worker.on('exit', () => died());
    return worker;
  }

  private finish(err: unknown, job?: Job): void {
    const p = this.running;
    clearTimeout(this.timer);
    this.running = undefined;
    if (!p) return;
    if (err === undefined) p.resolve(job!);
    else p.reject(err);
  }

  private async end(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }
}
