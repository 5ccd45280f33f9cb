/**
 * Where a host's log endpoint is and the secret that opens it, in the catalog:
 * `maestro/agent-endpoints/<host>` = `{ "addr": "10.0.0.5:4681", "token": "<256 random bits, hex>", "startedAt": ms }`.
 * The agent writes a fresh token at every start, and deletes the key when it stops. The catalog is
 * the cluster's root of trust already — whoever can write it chooses what every host runs — so a
 * secret kept there gives log access to no one who lacks more power; nothing has to be handed to
 * every host by hand, and none of the API's answers includes this key.
 */
import { randomBytes } from 'node:crypto';
import type { Catalog } from '../../catalog/types.js';

export interface EndpointRecord {
  addr: string;
  token: string;
  startedAt: number;
}

export const endpointKey = (host: string): string => `maestro/agent-endpoints/${host}`;

export function newToken(): string {
  return randomBytes(32).toString('hex');
}

export async function publishEndpoint(catalog: Catalog, host: string, record: EndpointRecord): Promise<void> {
  await catalog.kvPut(endpointKey(host), JSON.stringify(record));
}

/** Deletes the record only if it is still ours (a newer agent of the same host may have replaced it). */
export async function withdrawEndpoint(catalog: Catalog, host: string, token: string): Promise<void> {
  const { value } = await catalog.kvGet(endpointKey(host));
  if (value && readRecord(value.value)?.token === token) await catalog.kvDelete(endpointKey(host), { cas: value.modifyIndex });
}

export async function findEndpoint(catalog: Catalog, host: string): Promise<EndpointRecord | undefined> {
  const { value } = await catalog.kvGet(endpointKey(host));
  return value ? readRecord(value.value) : undefined;
}

function readRecord(text: string): EndpointRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<EndpointRecord>;
    return typeof r.addr === 'string' && typeof r.token === 'string' ? { addr: r.addr, token: r.token, startedAt: Number(r.startedAt) || 0 } : undefined;
  } catch {
    return undefined;
  }
}
