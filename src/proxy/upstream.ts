/**
 * One instance as the data path sees it: where it is, how busy it is, whether it is ejected, and
 * its pool of keep-alive HTTP/1 connections (created on first use, so L4-only instances never get one).
 */
import { Http1Pool, type PoolOptions as Http1PoolOptions } from './http1/pool.js';
import type { Sweeper } from './sweep.js';
import type { InstanceSpec } from './spec.js';
import { InstanceStats } from './stats.js';

export interface PoolOptions extends Http1PoolOptions {
  /** The engine's clock and timeout sweep. */
  sweeper: Sweeper;
}

export class Upstream {
  readonly key: string;
  readonly id: string;
  readonly service: string;
  readonly address: string;
  readonly port: number;
  /** Requests (L7) or connections (L4) currently using this instance: least-in-flight reads it. */
  inFlight = 0;
  /** Consecutive connect errors / 5xx since the last success. */
  failures = 0;
  /** Epoch ms until which the instance is skipped; 0 when not ejected. */
  ejectedUntil = 0;
  /** How many times in a row it was ejected: the back-off exponent. */
  ejectionStreak = 0;
  /** Removed from the catalog: gets no new work; its pool closes once in-flight work finished. */
  draining = false;
  readonly stats = new InstanceStats();
  #http1: Http1Pool | undefined;

  constructor(spec: InstanceSpec, private readonly poolOptions: PoolOptions) {
    this.key = spec.key;
    this.id = spec.id;
    this.service = spec.service;
    this.address = spec.address;
    this.port = spec.port;
  }

  /** Keep-alive raw sockets for the L7 engine. */
  get http1(): Http1Pool {
    return (this.#http1 ??= new Http1Pool(this.address, this.port, this.poolOptions, this.poolOptions.sweeper));
  }

  isEjected(now: number): boolean {
    return this.ejectedUntil > now;
  }

  /** Stops new work; in-flight requests finish, then the connections close. */
  async drain(): Promise<void> {
    this.draining = true;
    await this.#http1?.drain();
  }

  /** Hard stop (proxy shutdown). */
  async destroy(): Promise<void> {
    this.draining = true;
    await this.#http1?.destroy();
  }
}
