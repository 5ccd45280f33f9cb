/**
 * How a server removes a replica volume on its host: in-process when that host is this process's
 * own agent (`maestro up`), otherwise `DELETE` on the agent endpoint that host published in the
 * catalog, with its token (as src/agent/logs/client.ts reads logs). Errors are LogsErrors:
 * `unavailable` for an agent that is not there or does not answer, its own refusals passed on.
 */
import type { Dispatcher } from 'undici';
import type { Catalog } from '../../catalog/types.js';
import { LogsError } from '../logs/errors.js';
import { findEndpoint } from '../logs/record.js';
import type { LocalVolumes, VolumeRef, VolumeRemoval } from './local.js';

export type VolumeRemover = (host: string, ref: VolumeRef) => Promise<VolumeRemoval>;

export interface VolumeRemoverOptions {
  catalog: Catalog;
  local?: { host: string; volumes: LocalVolumes };
  connectTimeoutMs?: number;
}

const RESULTS: readonly VolumeRemoval[] = ['removed', 'missing', 'in_use'];

export function agentVolumeRemover(opts: VolumeRemoverOptions): VolumeRemover {
  let dispatcher: Dispatcher | undefined;
  return async (host, ref) => {
    if (opts.local && host === opts.local.host) return opts.local.volumes(ref);
    const endpoint = await findEndpoint(opts.catalog, host);
    if (!endpoint) throw new LogsError('unavailable', `host ${host} has published no agent endpoint in the catalog: its agent is not running`);
    const undici = await import('undici');
    dispatcher ??= new undici.Agent({ connect: { timeout: opts.connectTimeoutMs ?? 5_000 } });
    const path = [ref.job, String(ref.ordinal), ref.name].map(encodeURIComponent).join('/');
    let res: Dispatcher.ResponseData;
    try {
      res = await undici.request(`http://${endpoint.addr}/v1/volumes/${path}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${endpoint.token}`, accept: 'application/json' },
        dispatcher,
        // Docker removes a local volume in well under a second; a minute covers a slow disk.
        headersTimeout: 60_000,
        bodyTimeout: 10_000,
      });
    } catch (err) {
      const why = (err as { code?: string }).code ?? (err as Error).message;
      throw new LogsError('unavailable', `cannot reach the agent of host ${host} at ${endpoint.addr} (${why})`, { cause: err });
    }
    const text = (await res.body.text()).slice(0, 16 * 1024);
    let body: { result?: unknown; error?: { message?: unknown } } | undefined;
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // not the agent's answer
    }
    if (res.statusCode === 200 && RESULTS.includes(body?.result as VolumeRemoval)) return body!.result as VolumeRemoval;
    const message = typeof body?.error?.message === 'string' ? body.error.message : `answered ${res.statusCode}`;
    throw new LogsError(res.statusCode === 400 ? 'bad_request' : 'unavailable', `the agent of host ${host}: ${message}`);
  };
}
